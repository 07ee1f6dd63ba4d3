"""Mocking entities in tests: ``task_mock`` and ``patch`` (flytekit's ``flytekit.core.testing``).

A mock is installed in a context variable, so it answers the calls made in the ``with`` block (or the patched
test) and in the tasks those start, never calls made by concurrent asyncio tasks or other threads that did not
inherit it. Nothing is monkeypatched: the local engine (``LocalController``) asks ``mock_for`` before running a
task, a workflow, a launch plan or a map task, for direct calls, graph nodes (workflows, dynamic tasks, launch
plans) and calls from eager bodies alike, and has ``answer_mocked`` answer a mocked one:

- the inputs are converted as for the real entity, and the mock is called with them by name (as flytekit calls
  ``execute``: ``m(x=1)``); an ``AsyncMock``'s coroutine is awaited;
- the mock's return value goes through the entity's output conversion (a wrong type is the entity's usual type
  error; for an entity without outputs it is ignored);
- the entity's body never runs, and its cache, retries, timeout and environment do not apply.

``MOCKED`` counts the mocks in force anywhere in the process, so the engine pays for the lookup only while some
mock exists.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

from aioflyte.core.base_task import PythonTask
from aioflyte.core.interface import raise_type_error
from aioflyte.core.launch_plan import LaunchPlan
from aioflyte.core.map_task import ArrayNodeMapTask
from aioflyte.core.reference_entity import ReferenceEntity
from aioflyte.core.workflow import WorkflowBase
from aioflyte.exceptions import TypeTransformerFailedError
from aioflyte.runscope import RUN, TASK_FRAME, RunState, TaskFrame, run_scope

if TYPE_CHECKING:
    from unittest.mock import MagicMock

__all__ = ["MOCKED", "answer_mocked", "mock_for", "patch", "task_mock"]

log = logging.getLogger("aioflyte.testing")

F = TypeVar("F", bound=Callable[..., Any])

#: The mocks in force in this context (per asyncio task and thread): entity -> mock.
_MOCKS: ContextVar[dict[Any, Any] | None] = ContextVar("aioflyte_mocks", default=None)
#: Entity -> how many mocks of it are in force in any context of the process (empty: no lookups at all).
MOCKED: dict[Any, int] = {}
_lock = threading.Lock()

#: What a failed conversion of a mocked call's inputs or outputs raises (reported as the entity's type error).
_CONVERSION_ERRORS = (TypeTransformerFailedError, TypeError, ValueError, AssertionError)

_MOCKABLE = (PythonTask, WorkflowBase, LaunchPlan, ArrayNodeMapTask, ReferenceEntity)


def _check(target: Any, what: str) -> None:
    if not isinstance(target, _MOCKABLE):
        raise ValueError(
            f"{what}() mocks tasks, workflows, launch plans, map tasks and reference entities, "
            f"got {type(target).__name__}: {target!r}"
        )


def mock_for(entity: Any) -> Any:
    """The mock answering calls of ``entity`` in this context (of the entity a ``with_overrides`` copy was made
    from, for a copy), or None."""
    mocks = _MOCKS.get()
    if not mocks:
        return None
    mock = mocks.get(entity)
    if mock is None:
        origin = getattr(entity, "__dict__", {}).get("_overridden_from")
        if origin is not None:
            mock = mocks.get(origin)
    return mock


@contextlib.contextmanager
def _installed(entity: Any, mock: Any) -> Iterator[Any]:
    token = _MOCKS.set({**(_MOCKS.get() or {}), entity: mock})
    with _lock:
        MOCKED[entity] = MOCKED.get(entity, 0) + 1
    try:
        yield mock
    finally:
        with _lock:
            left = MOCKED.get(entity, 0) - 1
            if left > 0:
                MOCKED[entity] = left
            else:
                MOCKED.pop(entity, None)
        try:
            _MOCKS.reset(token)
        except ValueError:  # left in another context than entered (an async fixture's teardown): drop only this one
            mocks = dict(_MOCKS.get() or {})
            if mocks.get(entity) is mock:
                del mocks[entity]
            _MOCKS.set(mocks or None)


@contextlib.contextmanager
def task_mock(t: Any) -> Iterator[MagicMock]:
    """Mock ``t`` (a task, workflow, launch plan, map task or reference entity) for the block: a ``MagicMock``
    answers its calls.

    Set ``return_value`` or ``side_effect``; it is called with the inputs by name. Works for direct calls and for
    calls from workflows, dynamic tasks and eager workflows run in the block::

        with task_mock(t1) as m:
            m.return_value = 100
            assert await my_workflow(x=1) == 100
            m.assert_called_with(x=1)
    """
    _check(t, "task_mock")
    from unittest.mock import MagicMock

    with _installed(t, MagicMock()) as m:
        yield m


def patch(target: Any) -> Callable[[F], F]:
    """A test decorator: the test runs with ``target`` mocked (``task_mock``) and receives the mock as its first
    argument. Sync and ``async def`` tests; the test's other parameters (pytest fixtures) are kept::

        @patch(t1)
        async def test_wf(m, tmp_path):
            m.return_value = 100
            assert await my_workflow(x=1) == 100
    """
    _check(target, "patch")

    def wrapper(test_fn: F) -> F:
        from unittest.mock import MagicMock

        sig = inspect.signature(test_fn)
        params = list(sig.parameters.values())
        if not params:
            raise TypeError(f"@patch({target.name}): {test_fn.__qualname__} must take the mock as its first argument")
        if inspect.iscoroutinefunction(test_fn):

            @functools.wraps(test_fn)
            async def new_test(*args: Any, **kwargs: Any) -> Any:
                with _installed(target, MagicMock()) as m:
                    return await test_fn(m, *args, **kwargs)

        else:

            @functools.wraps(test_fn)
            def new_test(*args: Any, **kwargs: Any) -> Any:
                with _installed(target, MagicMock()) as m:
                    return test_fn(m, *args, **kwargs)

        # pytest passes fixtures by the signature: the mock's parameter is not one
        new_test.__signature__ = sig.replace(parameters=params[1:])  # type: ignore[attr-defined]  # read by inspect
        return new_test  # type: ignore[return-value]  # same call shape minus the mock

    return wrapper


async def _converted(what: str, kind: str, types: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    from aioflyte.types.engine import TypeEngine

    out = {}
    for n, t in types.items():
        v = values[n]
        try:
            out[n] = await TypeEngine.local_round_trip(None, v, t)
        except _CONVERSION_ERRORS as e:
            raise_type_error(what, kind, n, t, v, e)
    return out


async def answer_mocked(entity: Any, mock: Any, inputs: dict[str, Any]) -> Any:
    """Answer a call of the mocked ``entity``: inputs converted, the mock called with them by name, its return
    value converted as the entity's outputs. A task's mock runs in a task attempt of its own (its
    ``current_context()`` is the task's), in the current run or a new one."""
    run = RUN.get()
    if run is None:
        import asyncio

        with run_scope(RunState(loop=asyncio.get_running_loop())):
            return await answer_mocked(entity, mock, inputs)
    iface = entity.python_interface
    what = f"{entity.node_kind.replace('_', ' ')} {entity.name}"
    args = await _converted(what, "input", {n: t for n, (t, _) in iface.inputs.items()}, inputs)
    log.debug("calling the mock of %s", what)
    token = TASK_FRAME.set(TaskFrame(entity, run)) if isinstance(entity, PythonTask) else None
    try:
        result = mock(**args)
        if inspect.isawaitable(result):
            result = await result
    finally:
        if token is not None:
            TASK_FRAME.reset(token)
    if not iface.outputs:
        return None
    values = iface.unpack_outputs(result, what)
    return iface.pack_outputs(await _converted(what, "output", dict(iface.outputs), values))
