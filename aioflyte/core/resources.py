"""``Resources``: CPU, memory, GPU and storage requests/limits, validated when declared."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Union

from aioflyte.exceptions import FlyteValidationException

_QUANTITY = re.compile(r"^([0-9]+(\.[0-9]+)?|\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")

Quantity = Union[str, int, float, None]

#: The volume that ``shared_memory=True`` (or a size) mounts in a task's pod, and where, as Flyte plugins expect it.
SHARED_MEMORY_MOUNT_NAME = "flyte-shared-memory"
SHARED_MEMORY_MOUNT_PATH = "/dev/shm"


def _check(field: str, v: Any) -> None:
    values = v if isinstance(v, (tuple, list)) else (v,)
    if isinstance(v, (tuple, list)) and len(v) != 2:
        raise FlyteValidationException(f"Resources.{field} as a tuple must be (request, limit), got {len(v)} values")
    for x in values:
        if x is None:
            continue
        if isinstance(x, bool) or not isinstance(x, (str, int, float)):
            raise FlyteValidationException(
                f"Resources.{field} expected a quantity (str, int or float), got {type(x).__name__} ({x!r})"
            )
        if isinstance(x, (int, float)) and x < 0:
            raise FlyteValidationException(f"Resources.{field} must not be negative, got {x!r}")
        if isinstance(x, str) and not _QUANTITY.match(x.strip()):
            raise FlyteValidationException(
                f"Resources.{field} expected a Kubernetes quantity like '500m', '2', '4Gi', got {x!r}"
            )


@dataclass(frozen=True)
class Resources:
    """Resource quantities; a ``(request, limit)`` tuple sets both at once, as in flytekit."""

    cpu: Quantity | tuple[Quantity, Quantity] = None
    mem: Quantity | tuple[Quantity, Quantity] = None
    gpu: Quantity | tuple[Quantity, Quantity] = None
    ephemeral_storage: Quantity | tuple[Quantity, Quantity] = None

    def __post_init__(self) -> None:
        for f in ("cpu", "mem", "gpu", "ephemeral_storage"):
            _check(f, getattr(self, f))

    def _part(self, i: int) -> Resources:
        def pick(v: Any) -> Any:
            return v[i] if isinstance(v, (tuple, list)) else v

        return Resources(pick(self.cpu), pick(self.mem), pick(self.gpu), pick(self.ephemeral_storage))

    def to_dict(self) -> dict[str, Any]:
        """The four fields by name (None where unset), as flytekit's ``Resources.to_dict()``."""
        return {f: getattr(self, f) for f in ("cpu", "mem", "gpu", "ephemeral_storage")}

    def to_json(self) -> str:
        import json

        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Resources:
        unknown = sorted(set(d) - {"cpu", "mem", "gpu", "ephemeral_storage"})
        if unknown:
            raise FlyteValidationException(f"Resources.from_dict: unknown field(s) {unknown}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})

    @classmethod
    def from_json(cls, s: str | bytes) -> Resources:
        import json

        return cls.from_dict(json.loads(s))

    @property
    def requests(self) -> Resources:
        return self._part(0)

    @property
    def limits(self) -> Resources:
        return self._part(1)


@dataclass(frozen=True)
class ResourceSpec:
    requests: Resources
    limits: Resources


def construct_resources(
    entity: str, requests: Resources | None, limits: Resources | None, resources: Resources | None
) -> ResourceSpec | None:
    """The request/limit pair of a task; ``resources`` cannot be combined with ``requests``/``limits``."""
    for name, v in (("requests", requests), ("limits", limits), ("resources", resources)):
        if v is not None and not isinstance(v, Resources):
            raise FlyteValidationException(f"{entity}: parameter {name!r} expected Resources, got {type(v).__name__}")
    if resources is not None:
        if requests is not None or limits is not None:
            raise FlyteValidationException(f"{entity}: use either resources= or requests=/limits=, not both")
        return ResourceSpec(resources.requests, resources.limits)
    if requests is None and limits is None:
        return None
    return ResourceSpec(requests or Resources(), limits or Resources())
