"""The seam between authoring and running: the ``Controller`` protocol and the current controller.

Entities (tasks, workflows, launch plans, map tasks, gates) know *what* they are; a ``Controller`` decides *how*
they run. ``LocalController`` (``aioflyte.engine``) runs them in this process; ``RemoteController``
(``aioflyte.remote``) turns each call into an execution on a Flyte backend. Authoring code only ever talks to
the protocol below, so it never imports the engine or the remote client.

The current controller lives in a context variable (per asyncio task and thread): ``use_controller(c)``
installs one for a block. Outside any such block the process default is used, built on first use by the factory
that ``aioflyte/__init__.py`` registers (the local engine), so ``await t(x=1)`` works with no set-up and
``import aioflyte`` stays cheap.

A task call made on a running loop goes to the controller's ``start_task(task, inputs, loop)`` if it has one
(the local engine's starts a call whose body ends without waiting at once: ``aioflyte/engine/call_start.py``),
else to its ``run_task`` coroutine, which starts when awaited (``task_starter``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from aioflyte.core.graph import WorkflowGraph

__all__ = [
    "Controller",
    "EagerRunner",
    "get_controller",
    "set_default_controller_factory",
    "use_controller",
]


@runtime_checkable
class Controller(Protocol):
    """Runs entities. Every method takes inputs by name (bound, defaults filled) in a dict it then owns."""

    async def run_task(self, task: Any, inputs: dict[str, Any]) -> Any:
        """Run a task (retries, timeout, cache as it declares); its Python return value."""
        ...

    async def run_workflow(self, wf: Any, inputs: dict[str, Any], *, max_parallelism: int | None = None) -> Any:
        """Run a workflow's compiled graph; its Python return value."""
        ...

    async def run_entity(self, entity: Any, inputs: dict[str, Any]) -> Any:
        """Run any entity (launch plan, map task, gate, ... or a task or workflow); its Python return value."""
        ...

    async def run_graph(self, graph: WorkflowGraph, inputs: dict[str, Any]) -> dict[str, Any]:
        """Run a compiled graph (a dynamic task's) inside the current run; its outputs by name."""
        ...

    def start(self, entity: Any, inputs: dict[str, Any], *, signals: dict[str, Any] | None = None) -> Any:
        """Start ``entity`` in the background on the running loop; a handle (awaitable for the result)."""
        ...


class EagerRunner(Protocol):
    """What ``PythonFunctionTask.run_remote`` needs of its ``remote`` argument (``FlyteRemote`` has it)."""

    def run_eager(self, entity: Any, inputs: dict[str, Any] | None = None, **options: Any) -> Awaitable[Any]: ...


_CONTROLLER: ContextVar[Controller | None] = ContextVar("aioflyte_controller", default=None)
_default: list[Controller] = []
_factory: list[Callable[[], Controller]] = []


#: per controller type: how a task call made on a running loop starts (``task_starter``)
_starters: dict[type, Callable[[Any, Any, dict[str, Any], Any], Awaitable[Any]]] = {}


def _run_task_when_awaited(controller: Any, task: Any, inputs: dict[str, Any], loop: Any) -> Awaitable[Any]:
    coro: Awaitable[Any] = controller.run_task(task, inputs)
    return coro


def task_starter(controller: Controller) -> Callable[[Any, Any, dict[str, Any], Any], Awaitable[Any]]:
    """How a task call made on a running loop starts with ``controller``: ``starter(controller, task, inputs,
    loop)``, its type's ``start_task`` if it has one, else a call of its ``run_task`` (kept per type)."""
    kind = type(controller)
    starter = _starters.get(kind)
    if starter is None:
        starter = _starters[kind] = getattr(kind, "start_task", None) or _run_task_when_awaited
    return starter


def set_default_controller_factory(factory: Callable[[], Controller]) -> None:
    """Register what builds the process default controller (called once, by ``aioflyte/__init__.py``)."""
    _factory[:] = [factory]
    _default.clear()


def _make_default() -> Controller:
    if not _factory:
        raise RuntimeError(
            "no default controller is registered: import aioflyte (its __init__ registers the local engine), "
            "or install one with aioflyte.use_controller(...)"
        )
    controller = _factory[0]()
    _default.append(controller)
    return controller


def get_controller() -> Controller:
    """The controller for this context: the one ``use_controller`` installed, else the process default."""
    controller = _CONTROLLER.get()
    if controller is not None:
        return controller
    return _default[0] if _default else _make_default()


@contextlib.contextmanager
def use_controller(controller: Controller) -> Iterator[Controller]:
    """Run entities called in this block (and in tasks it starts) through ``controller``.

    >>> with use_controller(RemoteController(remote)):
    ...     await my_eager_workflow(x=1)
    """
    if not isinstance(controller, Controller):
        raise TypeError(
            f"use_controller() expects a Controller (run_task, run_workflow, run_entity, run_graph, start), "
            f"got {type(controller).__name__}"
        )
    token = _CONTROLLER.set(controller)
    try:
        yield controller
    finally:
        _CONTROLLER.reset(token)
