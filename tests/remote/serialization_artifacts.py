"""Artifact-annotated outputs and artifact-query launch plans, serialized by aioflyte and (as ``flytekit``) by
``make_golden_area.py artifacts``; the expected messages are in ``golden_artifacts/``."""

from datetime import datetime
from typing import Annotated

from aioflyte import Artifact, LaunchPlan, task, workflow
from aioflyte.core.artifact import Granularity, Inputs

Pricing = Artifact(name="pricing", partition_keys=["region"])
Daily = Artifact(name="daily_stats", time_partitioned=True, partition_keys=["dataset"])
Hourly = Artifact(name="hourly", time_partitioned=True, time_partition_granularity=Granularity.HOUR)
Model = Artifact(name="model")


@task
def price_for(region: str) -> Annotated[float, Pricing(region=Inputs.region)]:
    return 1.5


@task
def eu_price() -> Annotated[float, Pricing(region="eu")]:
    return 2.5


@task
def price_set_in_body() -> Annotated[float, Pricing]:
    return Pricing.create_from(3.5, region="us")


@task
def daily(day: datetime, ds: str) -> Annotated[int, Daily(time_partition=Inputs.day, dataset=Inputs.ds)]:
    return 7


@task
def hourly() -> Annotated[int, Hourly]:
    return 1


@task
def train() -> Annotated[str, Model]:
    return "weights"


@workflow
def price_wf(region: str) -> Annotated[float, Pricing(region=Inputs.region)]:
    return price_for(region=region)


@task
def use(price: float, model: str, n: int) -> float:
    return price * n


@workflow
def use_wf(price: float, model: str, n: int = 2) -> float:
    return use(price=price, model=model, n=n)


use_lp = LaunchPlan.get_or_create(
    use_wf, name="use_lp", default_inputs={"price": Pricing.query(region="eu"), "model": Model}
)


@task
def stats(count: int) -> int:
    return count


@workflow
def stats_wf(count: int) -> int:
    return stats(count=count)


may_first = Daily.query(dataset="train", time_partition=datetime(2024, 5, 1))
stats_lp = LaunchPlan.get_or_create(stats_wf, name="stats_lp", default_inputs={"count": may_first})
