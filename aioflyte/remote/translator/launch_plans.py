"""Launch plans as flyteidl admin ``LaunchPlan`` messages: default and fixed inputs, schedule, notifications and
the run settings (labels, annotations, security context, raw output prefix, parallelism, cache overwrite)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from flyteidl.admin import common_pb2, launch_plan_pb2
from flyteidl.core import interface_pb2, security_pb2

from aioflyte.remote.translator import literals as _lit
from aioflyte.remote.translator._common import LAUNCH_PLAN, identifier

if TYPE_CHECKING:  # pragma: no cover
    from aioflyte.remote.translator import Translator


def _idl(x: Any) -> Any:
    return x.to_flyte_idl() if x is not None else None


def _security_context(lp: Any) -> security_pb2.SecurityContext | None:
    """The launch plan's security context; an ``AuthRole`` (the older form) becomes its ``run_as`` identity."""
    sc = _idl(lp.security_context)
    auth = lp.auth_role
    if auth is None:
        return sc
    if sc is not None:
        raise ValueError(f"LaunchPlan {lp.name}: AuthRole is deprecated; give either auth_role or security_context")
    return security_pb2.SecurityContext(
        run_as=security_pb2.Identity(
            iam_role=auth.assumable_iam_role or "", k8s_service_account=auth.kubernetes_service_account or ""
        )
    )


def _merge_security(entity: Any, option: Any) -> Any:
    """Registration options override the launch plan's security context field by field."""
    if option is None:
        return entity
    if entity is None:
        return option
    return security_pb2.SecurityContext(
        run_as=option.run_as if option.HasField("run_as") else entity.run_as,
        secrets=list(option.secrets) or list(entity.secrets),
        tokens=list(option.tokens) or list(entity.tokens),
    )


async def default_inputs(lp: Any) -> interface_pb2.ParameterMap:
    """The workflow's inputs with their defaults (described from its docstring), the launch plan's own defaults
    (described by name) replacing them, the fixed inputs left out."""
    wf = lp.workflow
    wf_inputs = wf.python_interface.inputs
    params = await _lit.parameter_map(wf_inputs, getattr(wf.python_interface, "docstring", None))
    own = {k: (wf_inputs[k][0], v) for k, v in lp.default_inputs.items()}
    overrides = await _lit.parameter_map(own)
    out = interface_pb2.ParameterMap()
    for k in wf_inputs:
        if k in lp.fixed_inputs:
            continue
        src = overrides if k in own else params
        out.parameters[k].CopyFrom(src.parameters[k])
    return out


async def launch_plan(tr: Translator, lp: Any, workflow_id: Any) -> launch_plan_pb2.LaunchPlan:
    """A launch plan of the (already serialized) workflow ``workflow_id``."""
    opts = tr.options
    raw = getattr(opts, "raw_output_data_config", None) or lp.raw_output_data_config
    labels = getattr(opts, "labels", None) or lp.labels
    annotations = getattr(opts, "annotations", None) or lp.annotations
    notifications = getattr(opts, "notifications", None) or lp.notifications
    max_parallelism = getattr(opts, "max_parallelism", None) or lp.max_parallelism
    overwrite_cache = getattr(opts, "overwrite_cache", None) or lp.overwrite_cache
    wf_types = dict(lp.workflow.python_interface.input_types)
    spec = launch_plan_pb2.LaunchPlanSpec(
        workflow_id=workflow_id,
        entity_metadata=launch_plan_pb2.LaunchPlanMetadata(
            schedule=_idl(lp.schedule), notifications=[n.to_flyte_idl() for n in notifications or []]
        ),
        default_inputs=await default_inputs(lp),
        fixed_inputs=await _lit.literal_map(lp.fixed_inputs, wf_types),
        labels=_idl(labels) or common_pb2.Labels(),
        annotations=_idl(annotations) or common_pb2.Annotations(),
        raw_output_data_config=_idl(raw) or common_pb2.RawOutputDataConfig(),
        max_parallelism=max_parallelism or 0,
        security_context=_merge_security(_security_context(lp), _idl(getattr(opts, "security_context", None))),
        overwrite_cache=bool(overwrite_cache),  # False is the unset default
    )
    concurrency = lp.concurrency
    if concurrency is not None:
        spec.concurrency_policy.CopyFrom(
            launch_plan_pb2.ConcurrencyPolicy(
                max=concurrency.max_concurrency,
                behavior=cast(launch_plan_pb2.ConcurrencyLimitBehavior, int(concurrency.behavior)),  # the same numbers
            )
        )
    return launch_plan_pb2.LaunchPlan(
        id=identifier(LAUNCH_PLAN, tr.settings, lp.name),
        spec=spec,
        closure=launch_plan_pb2.LaunchPlanClosure(
            expected_inputs=interface_pb2.ParameterMap(), expected_outputs=interface_pb2.VariableMap()
        ),
    )
