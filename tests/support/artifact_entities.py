"""Tasks, workflows and launch plans producing and querying artifacts, run by the server's task processes
(``tests/server/test_artifacts_serve.py``) and by the local engine (``tests/engine/test_artifacts_local.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aioflyte import Artifact, LaunchPlan, task, workflow
from aioflyte.core.artifact import Granularity, Inputs

Pricing = Artifact(name="pricing", partition_keys=["region"])
Daily = Artifact(name="daily_total", time_partitioned=True, time_partition_granularity=Granularity.DAY)


@task
def price_for(region: str, price: float) -> Annotated[float, Pricing(region=Inputs.region)]:
    return price


@task
def price_from_body(region: str, price: float) -> Annotated[float, Pricing]:
    return Pricing.create_from(price, region=region.upper())


@task
def daily_total(day: datetime, total: int) -> Annotated[int, Daily(time_partition=Inputs.day)]:
    return total


@workflow
def publish(region: str, price: float) -> float:
    return price_for(region=region, price=price)


@workflow
def publish_from_body(region: str, price: float) -> float:
    return price_from_body(region=region, price=price)


@task
def scaled(price: float, factor: int) -> float:
    return price * factor


@workflow
def use_price(price: float, factor: int = 10) -> float:
    return scaled(price=price, factor=factor)


eu_lp = LaunchPlan.get_or_create(use_price, name="use_eu_price", default_inputs={"price": Pricing.query(region="eu")})
asia_lp = LaunchPlan.get_or_create(
    use_price, name="use_asia_price", default_inputs={"price": Pricing.query(region="ASIA")}
)
mars_lp = LaunchPlan.get_or_create(
    use_price, name="use_mars_price", default_inputs={"price": Pricing.query(region="mars")}
)


@task
def passthrough(total: int) -> int:
    return total


@workflow
def use_total(total: int) -> int:
    return passthrough(total=total)


may_first_lp = LaunchPlan.get_or_create(
    use_total, name="use_may_first", default_inputs={"total": Daily.query(time_partition=datetime(2024, 5, 1, 8))}
)


Published = Artifact(name="published_price", partition_keys=["region"])


@workflow
def publish_as_workflow(region: str, price: float) -> Annotated[float, Published(region=Inputs.region)]:
    """A workflow output that is an artifact (its partition from the workflow's input)."""
    return scaled(price=price, factor=2)


published_lp = LaunchPlan.get_or_create(
    use_price, name="use_published_price", default_inputs={"price": Published.query(region="eu")}
)
