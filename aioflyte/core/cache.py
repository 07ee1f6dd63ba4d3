"""Cache configuration: ``Cache(version, serialize, ignored_inputs, salt, policies)`` and version policies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, runtime_checkable

from aioflyte.exceptions import FlyteValidationException


@dataclass
class VersionParameters:
    """What a cache policy may hash to derive a version: the function and where it runs."""

    func: Callable[..., Any]
    container_image: Any = None
    pod_template: Any = None
    pod_template_name: str | None = None


@runtime_checkable
class CachePolicy(Protocol):
    def get_version(self, salt: str, params: VersionParameters) -> str: ...


class CacheFunctionBody:
    """A policy whose version changes whenever the task function's source code changes."""

    def get_version(self, salt: str, params: VersionParameters) -> str:
        try:
            import inspect
            import textwrap

            src = textwrap.dedent(inspect.getsource(params.func))
        except (OSError, TypeError) as e:
            raise FlyteValidationException(
                f"cannot read the source of {params.func!r} to version its cache: {e}"
            ) from e
        import hashlib

        return hashlib.sha256((salt + src).encode()).hexdigest()


@dataclass
class Cache:
    """Cache settings of a task. Without ``version``, at least one policy must derive one."""

    version: str | None = None
    serialize: bool = False
    ignored_inputs: tuple[str, ...] | str = ()
    salt: str = ""
    policies: list[CachePolicy] | CachePolicy | None = None
    _policies: list[CachePolicy] = field(init=False, repr=False, default_factory=list)

    def __post_init__(self) -> None:
        if isinstance(self.ignored_inputs, str):
            self.ignored_inputs = (self.ignored_inputs,)
        else:
            self.ignored_inputs = tuple(self.ignored_inputs)
        if self.policies is None:
            self._policies = []
        elif isinstance(self.policies, CachePolicy):
            self._policies = [self.policies]
        else:
            self._policies = list(self.policies)
            for p in self._policies:
                if not isinstance(p, CachePolicy):
                    raise FlyteValidationException(
                        f"Cache policies must have get_version(salt, params); got {type(p).__name__}"
                    )
        if self.version is None and not self._policies:
            raise FlyteValidationException(
                "Cache needs a version: Cache(version='1'), or a policy that derives one, "
                "e.g. Cache(policies=CacheFunctionBody())"
            )

    def get_ignored_inputs(self) -> tuple[str, ...]:
        return tuple(self.ignored_inputs)

    def get_version(self, params: VersionParameters) -> str:
        if self.version is not None:
            return self.version
        parts = []
        for p in self._policies:
            try:
                parts.append(p.get_version(self.salt, params))
            except Exception as e:
                raise FlyteValidationException(
                    f"cache policy {p!r} failed to produce a version ({e}); set Cache(version=...)"
                ) from e
        import hashlib

        return hashlib.sha256("".join(parts).encode()).hexdigest()


def resolve_cache(
    name: str,
    fn: Callable[..., Any] | None,
    cache: bool | Cache,
    cache_version: str | None,
    cache_serialize: bool | None,
    cache_ignore_input_vars: tuple[str, ...] | None,
    container_image: Any,
    pod_template: Any,
    pod_template_name: str | None,
) -> tuple[Cache | None, str, bool, tuple[str, ...]]:
    """(config or None, version, serialize, ignored inputs) by flytekit's rules for ``cache`` / ``Cache`` and the
    older ``cache_*`` parameters; ``name`` is the task's, for error messages."""
    if isinstance(cache, Cache):
        if cache_serialize is not None or cache_version is not None or cache_ignore_input_vars is not None:
            raise FlyteValidationException(
                f"task {name}: cache_serialize, cache_version and cache_ignore_input_vars cannot be combined "
                "with a Cache object; set them on Cache(...)"
            )
        if fn is None:
            raise FlyteValidationException(f"task {name}: a Cache object needs the task's function to version it")
        version = cache.get_version(
            VersionParameters(
                fn, container_image=container_image, pod_template=pod_template, pod_template_name=pod_template_name
            )
        )
        return cache, version, cache.serialize, cache.get_ignored_inputs()
    if not isinstance(cache, bool):
        raise FlyteValidationException(
            f"task {name}: parameter 'cache' expected bool or Cache, got {type(cache).__name__}"
        )
    if not cache:
        return None, cache_version or "", bool(cache_serialize), tuple(cache_ignore_input_vars or ())
    if not cache_version:
        raise FlyteValidationException(
            f"task {name}: cache=True needs a version: use cache=Cache(version='1') (or cache_version='1'), "
            "or a policy such as Cache(policies=CacheFunctionBody())"
        )
    cfg = Cache(
        version=cache_version, serialize=bool(cache_serialize), ignored_inputs=tuple(cache_ignore_input_vars or ())
    )
    return cfg, cache_version, bool(cache_serialize), cfg.get_ignored_inputs()
