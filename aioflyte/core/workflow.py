"""Workflows: ``@workflow`` (a function compiled once with promises) and imperative ``Workflow``.

Both compile into the one graph IR (``WorkflowGraph``); calling one outside a compile runs the graph through
the current Controller: ``await wf(x=1)``.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar, overload

from aioflyte.core.compile import CompilationState, create_node, outputs_of, to_binding
from aioflyte.core.controller import get_controller
from aioflyte.core.entity import Entity
from aioflyte.core.graph import Node, WorkflowGraph
from aioflyte.core.interface import NO_DEFAULT, Interface, transform_function_to_interface
from aioflyte.core.options import WorkflowFailurePolicy as WorkflowFailurePolicy
from aioflyte.core.promise import NodeHandle, Promise, PromiseTuple, VoidPromise, compile_error, user_location
from aioflyte.core.reference_entity import ReferenceWorkflow as ReferenceWorkflow
from aioflyte.core.reference_entity import reference_workflow as reference_workflow
from aioflyte.exceptions import FlyteFailureNodeInputMismatchException, FlyteValidationException

P = ParamSpec("P")
R = TypeVar("R")


def _failure_policy_default() -> Any:
    return WorkflowFailurePolicy.FAIL_IMMEDIATELY


@dataclasses.dataclass
class WorkflowMetadata:
    """A workflow's metadata as flytekit names it: what it does when a node fails."""

    on_failure: WorkflowFailurePolicy

    def __post_init__(self) -> None:
        if self.on_failure not in tuple(WorkflowFailurePolicy):
            raise FlyteValidationException(
                f"WorkflowMetadata: on_failure must be a WorkflowFailurePolicy, got {self.on_failure!r}"
            )

    def to_flyte_idl(self) -> Any:
        from flyteidl.core import workflow_pb2

        return workflow_pb2.WorkflowMetadata(on_failure=int(self.on_failure))  # type: ignore[arg-type]  # an OnFailurePolicy value


@dataclasses.dataclass
class WorkflowMetadataDefaults:
    """Defaults every node of a workflow inherits: ``interruptible``."""

    interruptible: bool

    def __post_init__(self) -> None:
        if not isinstance(self.interruptible, bool):
            raise FlyteValidationException(
                f"WorkflowMetadataDefaults: interruptible must be a bool, got {self.interruptible!r}"
            )

    def to_flyte_idl(self) -> Any:
        from flyteidl.core import workflow_pb2

        return workflow_pb2.WorkflowMetadataDefaults(interruptible=self.interruptible)


class WorkflowBase(Entity):
    """What both workflow styles share: identity, settings, the compiled graph and the call protocol."""

    node_kind = "workflow"

    def __init__(
        self,
        name: str,
        interface: Interface,
        *,
        failure_policy: Any = None,
        interruptible: bool = False,
        on_failure: Any = None,
        docs: Any = None,
        default_options: Any = None,
        pickle_untyped: bool = False,
    ) -> None:
        self._name = name
        self._interface = interface
        self._failure_policy = failure_policy if failure_policy is not None else _failure_policy_default()
        self._interruptible = interruptible
        self._on_failure = on_failure
        self._docs = docs
        self._default_options = default_options
        self._pickle_untyped = pickle_untyped
        self._graph: WorkflowGraph | None = None
        self._init_binding(interface)

    @property
    def short_name(self) -> str:
        return self._name.rsplit(".", 1)[-1]

    @property
    def failure_policy(self) -> Any:
        return self._failure_policy

    @property
    def interruptible(self) -> bool:
        return self._interruptible

    @property
    def workflow_metadata(self) -> WorkflowMetadata:
        return WorkflowMetadata(on_failure=WorkflowFailurePolicy(self._failure_policy))

    @property
    def workflow_metadata_defaults(self) -> WorkflowMetadataDefaults:
        return WorkflowMetadataDefaults(interruptible=bool(self._interruptible))

    @property
    def on_failure(self) -> Any:
        return self._on_failure

    @property
    def docs(self) -> Any:
        return self._docs

    @property
    def default_options(self) -> Any:
        return self._default_options

    @property
    def graph(self) -> WorkflowGraph:
        if self._graph is None:
            self._graph = self.compile()
        return self._graph

    @property
    def nodes(self) -> list[Node]:
        return self.graph.nodes

    @property
    def failure_node(self) -> Node | None:
        return self.graph.failure_node

    @property
    def output_bindings(self) -> dict[str, Any]:
        return self.graph.outputs

    def compile(self) -> WorkflowGraph:
        raise NotImplementedError

    def _failure_node(self, state: CompilationState, inputs: dict[str, Promise]) -> Node | None:
        handler = self._on_failure
        if handler is None:
            return None
        hin = handler.python_interface.inputs
        missing = [n for n, (_, d) in hin.items() if n not in inputs and n != "err" and d is NO_DEFAULT]
        if missing:
            raise FlyteFailureNodeInputMismatchException(
                f"on_failure handler {handler.name} must take the workflow's inputs (and optionally err); "
                f"it has inputs {missing} the workflow does not (at {user_location()})"
            )
        bindings = {n: inputs[n].ref for n in hin if n in inputs}
        return Node(f"{state.prefix}fn0", handler, bindings)

    def _run_coroutine(self, inputs: dict[str, Any]) -> Coroutine[Any, Any, Any]:
        return get_controller().run_workflow(self, inputs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self._name!r}, interface={self._interface!r})"


def bind_outputs(entity_name: str, interface: Interface, result: Any) -> dict[str, Any]:
    """Workflow output bindings from what the body returned."""
    outs = interface.outputs
    if not outs:
        if result is None or isinstance(result, VoidPromise):
            return {}
        raise compile_error(f"workflow {entity_name} declares no outputs but its body returns {result!r}")
    if result is None or isinstance(result, VoidPromise):
        raise compile_error(
            f"workflow {entity_name} declares output(s) {', '.join(outs)} but its body returns "
            f"{'nothing' if result is None else 'a call without outputs'}: the output(s) are unbound"
        )
    if interface.single_output:
        ((name, t),) = outs.items()
        return {name: to_binding(result, t, f"workflow {entity_name} output {name!r}")}
    if isinstance(result, PromiseTuple) or isinstance(result, tuple):
        values = list(result)
    else:
        values = [result]
    if len(values) != len(outs):
        raise compile_error(
            f"workflow {entity_name} declares {len(outs)} outputs ({', '.join(outs)}) but its body returns "
            f"{len(values)} values"
        )
    return {n: to_binding(v, t, f"workflow {entity_name} output {n!r}") for (n, t), v in zip(outs.items(), values)}


class PythonFunctionWorkflow(WorkflowBase, Generic[P, R]):
    """A workflow from a function: the body runs once at compile time, with promises for inputs.

    Generic in the function's parameters and result, so that ``await wf(x=1)`` has the function's return type.
    """

    if TYPE_CHECKING:

        def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Coroutine[Any, Any, R]: ...

    def __init__(self, workflow_function: Callable[..., Any], *, name: str | None = None, **kwargs: Any) -> None:
        if inspect.iscoroutinefunction(workflow_function):
            raise compile_error(
                f"@workflow {workflow_function.__qualname__} is async def: a workflow body is compiled, not run; "
                "use @eager for an async workflow"
            )
        self._workflow_function = workflow_function
        self.__wrapped__ = workflow_function  # as flytekit's workflows (and functools.wraps) expose it
        name = name or f"{workflow_function.__module__}.{workflow_function.__qualname__}"
        if kwargs.get("pickle_untyped"):
            from aioflyte.core.task import _interface_for

            interface = _interface_for(workflow_function, True)
        else:
            interface = transform_function_to_interface(workflow_function, "workflow")
        super().__init__(name, interface, **kwargs)
        self.__doc__ = workflow_function.__doc__
        self.__name__ = workflow_function.__name__
        self.__qualname__ = workflow_function.__qualname__
        self.__module__ = workflow_function.__module__
        self._graph = self.compile()

    @property
    def function(self) -> Callable[..., Any]:
        return self._workflow_function

    def compile(self) -> WorkflowGraph:
        with CompilationState(name=self._name) as state:
            inputs = {n: Promise(None, n, t) for n, (t, _) in self._interface.inputs.items()}
            result = self._workflow_function(**inputs)
            if state._capture:
                raise compile_error(
                    f"workflow {self._name}: a conditional case was started with if_/elif_/else_ but never "
                    "finished with then() or fail()"
                )
            outputs = bind_outputs(self._name, self._interface, result)
            failure = self._failure_node(state, inputs)
        return WorkflowGraph(self._name, self._interface, state.nodes, outputs, self._failure_policy, failure)


@overload
def workflow(_workflow_function: Callable[P, R], /) -> PythonFunctionWorkflow[P, R]: ...
@overload
def workflow(
    _workflow_function: None = None,
    failure_policy: Any = None,
    interruptible: bool = False,
    on_failure: Any = None,
    docs: Any = None,
    pickle_untyped: bool = False,
    default_options: Any = None,
) -> Callable[[Callable[P, R]], PythonFunctionWorkflow[P, R]]: ...


def workflow(
    _workflow_function: Callable[..., Any] | None = None,
    failure_policy: Any = None,
    interruptible: bool = False,
    on_failure: Any = None,
    docs: Any = None,
    pickle_untyped: bool = False,
    default_options: Any = None,
) -> Any:
    """Make a workflow from a function, with flytekit's parameters (see docs/workflows.md)."""

    def wrapper(fn: Callable[..., Any]) -> PythonFunctionWorkflow[Any, Any]:
        return PythonFunctionWorkflow(
            fn,
            failure_policy=failure_policy,
            interruptible=interruptible,
            on_failure=on_failure,
            docs=docs,
            default_options=default_options,
            pickle_untyped=pickle_untyped,
        )

    if _workflow_function is not None:
        return wrapper(_workflow_function)
    return wrapper


class ImperativeWorkflow(WorkflowBase):
    """flytekit's ``Workflow``: build the graph one call at a time, then run it like any workflow."""

    def __init__(self, name: str, failure_policy: Any = None, interruptible: bool = False) -> None:
        super().__init__(name, Interface(), failure_policy=failure_policy, interruptible=interruptible)
        self._state = CompilationState(name=name)
        self._inputs: dict[str, Promise] = {}
        self._outputs: dict[str, Any] = {}

    @property
    def compilation_state(self) -> CompilationState:
        return self._state

    @property
    def inputs(self) -> dict[str, Promise]:
        return self._inputs

    def add_workflow_input(self, input_name: str, python_type: Any) -> Promise:
        if input_name in self._inputs:
            raise compile_error(f"workflow {self._name} already has an input named {input_name!r}")
        self._interface.inputs[input_name] = (python_type, NO_DEFAULT)
        self._init_binding(self._interface)
        self._graph = None
        p = self._inputs[input_name] = Promise(None, input_name, python_type)
        return p

    def add_entity(self, entity: Any, **kwargs: Any) -> NodeHandle:
        with self._state:
            handle = create_node(entity, **kwargs)
        self._graph = None
        return handle

    add_task = add_entity
    add_subwf = add_entity
    add_launch_plan = add_entity

    def add_workflow_output(self, output_name: str, p: Any, python_type: Any = None) -> None:
        if output_name in self._outputs:
            raise compile_error(f"workflow {self._name} already has an output named {output_name!r}")
        if python_type is None:
            if isinstance(p, Promise):
                python_type = p.python_type
            elif isinstance(p, list) and p and all(isinstance(x, Promise) for x in p):
                python_type = list[p[0].python_type]  # type: ignore[misc]
            elif isinstance(p, dict) and p and all(isinstance(x, Promise) for x in p.values()):
                python_type = dict[str, next(iter(p.values())).python_type]  # type: ignore[misc]
            else:
                raise compile_error(f"add_workflow_output({output_name!r}) needs python_type for {p!r}")
        self._interface.outputs[output_name] = python_type
        self._outputs[output_name] = to_binding(p, python_type, f"workflow {self._name} output {output_name!r}")
        self._graph = None

    def add_on_failure_handler(self, entity: Any) -> None:
        self._on_failure = entity
        self._graph = None

    def create_conditional(self, name: str) -> Any:
        from aioflyte.core.conditional import conditional

        with self._state:
            return conditional(name)

    def ready(self) -> bool:
        return bool(self._state.nodes) and all(n in self._inputs for n in self._interface.inputs)

    def compile(self) -> WorkflowGraph:
        failure = self._failure_node(self._state, self._inputs)
        return WorkflowGraph(
            self._name, self._interface, list(self._state.nodes), dict(self._outputs), self._failure_policy, failure
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not self._state.nodes:
            raise compile_error(f"workflow {self._name} has no nodes; add entities before running it")
        return super().__call__(*args, **kwargs)


Workflow = ImperativeWorkflow

__all__ = [
    "ImperativeWorkflow",
    "PythonFunctionWorkflow",
    "ReferenceWorkflow",
    "Workflow",
    "WorkflowBase",
    "WorkflowFailurePolicy",
    "WorkflowMetadata",
    "WorkflowMetadataDefaults",
    "outputs_of",
    "reference_workflow",
    "workflow",
]
