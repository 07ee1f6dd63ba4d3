"""``@dynamic``: a task whose body runs at execution time under compilation, yielding a graph to run."""

from __future__ import annotations

from typing import Any, Callable

from aioflyte.core.compile import CompilationState
from aioflyte.core.context import execution_scope
from aioflyte.core.controller import get_controller
from aioflyte.core.graph import WorkflowGraph
from aioflyte.core.promise import Promise
from aioflyte.core.task import PythonFunctionTask, task


class DynamicTask(PythonFunctionTask[Any, Any]):
    """Runs its body with the real input values; entity calls inside build nodes of a graph run next."""

    def compile_with(self, inputs: dict[str, Any]) -> WorkflowGraph:
        from aioflyte.core.workflow import bind_outputs

        with CompilationState(name=self.name) as state:
            result = self.task_function(**inputs)
            outputs = bind_outputs(self.name, self.python_interface, result)
        return WorkflowGraph(self.name, self.python_interface, state.nodes, outputs)

    async def execute(self, **kwargs: Any) -> Any:
        """Compile the body with the real inputs, then run the graph it built through the current controller."""
        graph = self.compile_with(kwargs)
        with execution_scope("dynamic"):  # what ExecutionState.mode reports in the graph's nodes
            outputs = await get_controller().run_graph(graph, kwargs)
        return self.python_interface.pack_outputs(outputs)


def dynamic(_task_function: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
    """Make a dynamic workflow task (flytekit's ``@dynamic``, with ``@task``'s parameters)."""
    make = task(execution_mode=PythonFunctionTask.ExecutionBehavior.DYNAMIC, task_class=DynamicTask, **kwargs)

    def wrapper(fn: Callable[..., Any]) -> DynamicTask:
        return make(fn)  # type: ignore[return-value]  # task_class=DynamicTask makes one

    if _task_function is not None:
        return wrapper(_task_function)
    return wrapper


__all__ = ["DynamicTask", "Promise", "dynamic"]
