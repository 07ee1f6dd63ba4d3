"""Request validation with flyteadmin's rules and wording; every failure is an ``InvalidArgument``."""

from __future__ import annotations

from urllib.parse import quote_plus

from flyteidl.admin import common_pb2
from flyteidl.core import identifier_pb2

from aioflyte.server.errors import InvalidArgument, kind_name, missing

#: The domains every project has (flyteadmin's default configuration, as in the Flyte sandbox).
DOMAINS = (("development", "development"), ("staging", "staging"), ("production", "production"))
DOMAIN_IDS = frozenset(d for d, _ in DOMAINS)
#: The largest page offset a token may hold (SQLite integers are 64-bit).
MAX_OFFSET = 2**62


def identifier(id: identifier_pb2.Identifier, has_id: bool, expected: int) -> None:
    """A complete identifier of the expected resource type, with a URL-safe version."""
    if not has_id:
        raise missing("id")
    if id.resource_type != expected:
        raise InvalidArgument(
            f"unexpected resource type {kind_name(id.resource_type)} for identifier "
            f"[{id.project}/{id.domain}/{id.name}@{id.version}], expected {kind_name(expected)} instead"
        )
    for field in ("project", "domain", "name", "version"):
        if not getattr(id, field):
            raise missing(field)
    if quote_plus(id.version) != id.version:
        raise InvalidArgument(f"version [{id.version}] must be url safe, cannot contain chars [!*'();:@&=+$,/?#[]]")


def named_entity(project: str, domain: str, name: str | None = None) -> None:
    if not project:
        raise missing("project")
    if not domain:
        raise missing("domain")
    if name is not None and not name:
        raise missing("name")


def limit(value: int) -> None:
    if value <= 0:
        raise InvalidArgument("invalid value for limit: it must be greater than 0")


def token(value: str, call: str) -> int:
    """The page offset a token stands for (tokens are offsets, as in flyteadmin)."""
    if not value:
        return 0
    try:
        offset = int(value)
    except ValueError:
        raise InvalidArgument(f"invalid pagination token {value!r} for {call}") from None
    if not 0 <= offset <= MAX_OFFSET:  # negative, or past what SQLite's OFFSET can hold
        raise InvalidArgument(
            f"invalid pagination token {value!r} for {call}: expected an offset from 0 to {MAX_OFFSET}"
        )
    return offset


def sort(sort_by: common_pb2.Sort, has_sort: bool, allowed: dict[str, str], default: str) -> tuple[str, bool]:
    """(key, ascending): the default is ``default`` descending (newest first)."""
    if not has_sort or not sort_by.key:
        return default, False
    if sort_by.key not in allowed:
        raise InvalidArgument(f"invalid sort key {sort_by.key!r}: expected one of {sorted(allowed)}")
    return sort_by.key, sort_by.direction == common_pb2.Sort.ASCENDING


def domain(value: str) -> None:
    if value not in DOMAIN_IDS:
        raise InvalidArgument(f"domain [{value}] is unrecognized by system")


def max_parallelism(value: int, what: str) -> None:
    """0 (no bound of its own) or a positive number of nodes running at once."""
    if value < 0:
        raise InvalidArgument(f"max_parallelism of {what} must not be negative (0: no bound), got {value}")
