"""``LaunchPlan``: a workflow with default and fixed inputs and run settings (parallelism, schedule, ...).

Locally, running a launch plan (``await lp(...)``, or as a node of a workflow) is a child run of its workflow
with its own execution id, ``max_parallelism``, ``overwrite_cache`` and raw output prefix, as on Flyte
(``aioflyte/engine/launch_plans.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aioflyte.core.context import _COMPILATION
from aioflyte.core.entity import Entity
from aioflyte.core.interface import NO_DEFAULT, Interface
from aioflyte.core.promise import compile_error
from aioflyte.core.reference_entity import ReferenceLaunchPlan as ReferenceLaunchPlan
from aioflyte.core.reference_entity import reference_launch_plan as reference_launch_plan
from aioflyte.exceptions import FlyteCompileError, FlyteValidationException

if TYPE_CHECKING:
    from aioflyte.models.interface import ParameterMap

_REGISTRY: dict[str, LaunchPlan] = {}


class LaunchPlan(Entity):
    """A named way to run a workflow: defaults, fixed inputs, schedule, notifications and run settings."""

    node_kind = "launch_plan"

    def __init__(
        self,
        name: str,
        workflow: Any,
        default_inputs: dict[str, Any] | None = None,
        fixed_inputs: dict[str, Any] | None = None,
        schedule: Any = None,
        notifications: list[Any] | None = None,
        labels: Any = None,
        annotations: Any = None,
        raw_output_data_config: Any = None,
        max_parallelism: int | None = None,
        security_context: Any = None,
        trigger: Any = None,
        overwrite_cache: bool | None = None,
        auto_activate: bool = False,
        auth_role: Any = None,
        concurrency: Any = None,
    ) -> None:
        wf_inputs = workflow.python_interface.inputs
        default_inputs = dict(default_inputs or {})
        fixed_inputs = dict(fixed_inputs or {})
        for kind, values in (("default_inputs", default_inputs), ("fixed_inputs", fixed_inputs)):
            unknown = [k for k in values if k not in wf_inputs]
            if unknown:
                raise FlyteValidationException(
                    f"LaunchPlan {name}: {kind} {unknown} are not inputs of workflow {workflow.name} "
                    f"(its inputs: {', '.join(wf_inputs) or 'none'})"
                )
            _check_values(name, kind, values, wf_inputs)
        both = sorted(set(default_inputs) & set(fixed_inputs))
        if both:
            raise FlyteValidationException(f"LaunchPlan {name}: inputs {both} are both default and fixed")
        if max_parallelism is not None and (not isinstance(max_parallelism, int) or max_parallelism < 0):
            raise FlyteValidationException(
                f"LaunchPlan {name}: max_parallelism expected a non-negative int, got {max_parallelism!r}"
            )
        self._name = name
        self._workflow = workflow
        self._default_inputs = default_inputs
        self._fixed_inputs = fixed_inputs
        self.schedule = schedule
        self.notifications = list(notifications or [])
        self.labels = labels
        self.annotations = annotations
        self.raw_output_data_config = raw_output_data_config
        self.max_parallelism = max_parallelism
        self.security_context = security_context
        self.trigger = trigger
        self.overwrite_cache = overwrite_cache
        self.auto_activate = auto_activate
        self.auth_role = auth_role
        self.concurrency = concurrency
        inputs = {k: (t, default_inputs.get(k, d)) for k, (t, d) in wf_inputs.items() if k not in fixed_inputs}
        wi = workflow.python_interface
        self._interface = Interface(inputs, dict(wi.outputs), wi.output_tuple, wi.positional_outputs, wi.docstring)
        self._init_binding(self._interface)

    # --- flytekit's constructors -----------------------------------------------------------------
    @classmethod
    def create(
        cls,
        name: str,
        workflow: Any,
        default_inputs: dict[str, Any] | None = None,
        fixed_inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> LaunchPlan:
        """A new launch plan, registered by name (an error if the name is taken)."""
        if name in _REGISTRY:
            raise FlyteValidationException(f"LaunchPlan {name!r} already exists; use get_or_create or another name")
        lp = cls(name, workflow, default_inputs, fixed_inputs, **kwargs)
        _REGISTRY[name] = lp
        return lp

    @classmethod
    def get_or_create(
        cls,
        workflow: Any,
        name: str | None = None,
        default_inputs: dict[str, Any] | None = None,
        fixed_inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> LaunchPlan:
        """The launch plan ``name`` (the workflow's default one when no name), created if needed.

        Asking for an existing name with different settings is an error, as in flytekit.
        """
        if name is None:
            if default_inputs or fixed_inputs or any(v is not None and v is not False for v in kwargs.values()):
                raise FlyteValidationException(
                    f"get_or_create for workflow {workflow.name}: a launch plan with settings needs a name"
                )
            return cls.get_default_launch_plan(None, workflow)
        candidate = cls(name, workflow, default_inputs, fixed_inputs, **kwargs)
        existing = _REGISTRY.get(name)
        if existing is None:
            _REGISTRY[name] = candidate
            return candidate
        if existing._signature() != candidate._signature():
            raise FlyteValidationException(
                f"LaunchPlan {name!r} already exists with different settings; choose another name"
            )
        return existing

    @classmethod
    def get_default_launch_plan(cls, ctx: Any, workflow: Any) -> LaunchPlan:
        """The launch plan named like the workflow, with no defaults, fixed inputs or schedule."""
        lp = _REGISTRY.get(workflow.name)
        if lp is None or lp._workflow is not workflow:
            lp = _REGISTRY[workflow.name] = cls(workflow.name, workflow)
        return lp

    def clone_with(
        self,
        name: str,
        parameters: dict[str, Any] | None = None,
        fixed_inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> LaunchPlan:
        """A copy under another name, with some settings replaced."""
        settings = {k: getattr(self, k) for k in _SETTINGS}
        settings.update(kwargs)
        return LaunchPlan(
            name,
            self._workflow,
            self._default_inputs if parameters is None else parameters,
            self._fixed_inputs if fixed_inputs is None else fixed_inputs,
            **settings,
        )

    def _signature(self) -> tuple[Any, ...]:
        return (
            self._workflow,
            repr(self._default_inputs),
            repr(self._fixed_inputs),
            *(repr(getattr(self, k)) for k in _SETTINGS),
        )

    # --- identity ------------------------------------------------------------------------------
    @property
    def workflow(self) -> Any:
        return self._workflow

    @property
    def default_inputs(self) -> dict[str, Any]:
        return dict(self._default_inputs)

    @property
    def fixed_inputs(self) -> dict[str, Any]:
        return dict(self._fixed_inputs)

    @property
    def saved_inputs(self) -> dict[str, Any]:
        """The inputs this launch plan was given, defaults and fixed ones, by name (as flytekit's)."""
        return {**self._default_inputs, **self._fixed_inputs}

    @property
    def parameters(self) -> ParameterMap:
        """The inputs a caller may pass, as flytekit's ``ParameterMap`` model (``.parameters``: name ->
        ``Parameter`` with its ``var``, ``default`` literal and ``required``); the fixed inputs are not among them.

        Sync, as flytekit's: in async code use ``await lp.async_parameters()`` (a default may need the data plane,
        e.g. a file default is uploaded)."""
        from aioflyte.types._compat import run_sync

        return run_sync(self.async_parameters, f"LaunchPlan {self._name}.parameters", "await lp.async_parameters()")

    async def async_parameters(self) -> ParameterMap:
        """``parameters``, for async code."""
        from aioflyte.core.serializer import parameter_map_pb
        from aioflyte.models.interface import ParameterMap

        return ParameterMap.from_flyte_idl(await parameter_map_pb(dict(self._interface.inputs)))

    def __repr__(self) -> str:
        return f"LaunchPlan(name={self._name!r}, workflow={self._workflow.name!r})"

    # --- running -------------------------------------------------------------------------------
    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        fixed = sorted(k for k in kwargs if k in self._fixed_inputs)
        if fixed:
            raise FlyteValidationException(
                f"LaunchPlan {self._name}: inputs {fixed} are fixed ({', '.join(map(repr, fixed))}) and "
                "cannot be overridden"
            )
        return super().bind(args, kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _COMPILATION.get() is None:
            return super().__call__(*args, **kwargs)
        try:
            return super().__call__(*args, **kwargs)
        except FlyteCompileError:
            raise
        except FlyteValidationException as e:  # e.g. a fixed input bound in a workflow body
            raise compile_error(str(e)) from None


_SETTINGS = (
    "schedule",
    "notifications",
    "labels",
    "annotations",
    "raw_output_data_config",
    "max_parallelism",
    "security_context",
    "trigger",
    "overwrite_cache",
    "auto_activate",
    "auth_role",
    "concurrency",
)


def _check_values(name: str, kind: str, values: dict[str, Any], wf_inputs: dict[str, tuple[Any, Any]]) -> None:
    from aioflyte.core.artifact import Artifact, ArtifactQuery
    from aioflyte.types.engine import TypeEngine

    for k, v in values.items():
        if isinstance(v, (Artifact, ArtifactQuery)):
            if kind == "fixed_inputs":
                raise FlyteValidationException(
                    f"LaunchPlan {name}: fixed_inputs[{k!r}] is an artifact query; queries are default inputs"
                )
            continue
        t = wf_inputs[k][0]
        conv = TypeEngine.local_converter(t)
        if conv is None:
            continue
        try:
            conv(v)
        except Exception as e:
            raise FlyteValidationException(f"LaunchPlan {name}: {kind}[{k!r}]: {e}") from None


__all__ = [
    "NO_DEFAULT",
    "LaunchPlan",
    "ReferenceLaunchPlan",
    "reference_launch_plan",
]
