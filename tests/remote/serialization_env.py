"""Tasks using Environment, accelerators, deck fields, labels and annotations, serialized by aioflyte and (as
``flytekit``) by ``make_golden_area.py env``; the expected messages are in ``golden_env/``."""

from aioflyte import Environment, Resources, task
from aioflyte.deck import DeckField
from aioflyte.extras.accelerators import A100, A100_80GB, H100, T4, GPUAccelerator


@task(limits=Resources(gpu="1"), accelerator=T4)
def on_t4(x: int) -> int:
    return x + 1


@task(accelerator=A100.partition_2g_10gb)
def on_a100_slice(x: int) -> int:
    return x + 2


@task(accelerator=A100_80GB.unpartitioned)
def on_whole_a100_80gb(x: int) -> int:
    return x + 3


@task(accelerator=A100)
def on_any_a100(x: int) -> int:
    return x + 4


@task(accelerator=GPUAccelerator("nvidia-tesla-v100"), shared_memory=True)
def on_v100(x: int) -> int:
    return x + 5


@task(labels={"team": "ml", "tier": "gold"}, annotations={"owner": "jane@example.com"})
def labelled(x: int) -> int:
    return x * 2


@task(enable_deck=True, deck_fields=(DeckField.INPUT, DeckField.OUTPUT))
def with_deck(x: int) -> int:
    return x * 3


gpu_env = Environment(
    retries=2,
    accelerator=H100,
    requests=Resources(cpu="2", mem="4Gi"),
    environment={"STAGE": "train"},
    labels={"team": "ml"},
)
prod_env = gpu_env.extend(environment={"REGION": "eu"}, labels={"tier": "prod"}, retries=4)


@gpu_env.task
def env_plain(x: int) -> int:
    return x - 1


@gpu_env.task(timeout=60, annotations={"note": "one"})
def env_more(x: int) -> int:
    return x - 2


@prod_env.task
def env_extended(x: int) -> int:
    return x - 3


@prod_env.dynamic
def env_dyn(n: int) -> list[int]:
    return [env_plain(x=i) for i in range(n)]
