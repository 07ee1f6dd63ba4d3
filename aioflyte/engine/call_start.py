"""How a task call made on a running loop starts: at once, when its task's calls end without waiting.

``await t(x=1)`` and ``asyncio.gather(*[t(x=i) for i in ...])`` first make the call's awaitable, then run it. For
most calls of an ``async def`` task on the engine's direct path (no cache, retries, timeout, environment or deck)
the body never waits: it computes and returns. Such a call is started when it is made (``start_task``, what
``PythonTask.__call__`` uses on a running loop): the body's first step runs at once, in a copy of the caller's
context with the call's frame set (``own_context.first_step``), and a body that returns there gives a
``Completed``, an asyncio Future that already holds the result. Awaiting it gives the result; ``gather``,
``wait_for`` and ``shield`` take it as it is, so the call needs no asyncio Task of its own (``gather`` only
schedules its done-callback); and as it is also a coroutine (``send``, ``throw``, ``close``), ``create_task`` and
``TaskGroup.create_task`` take it too. This is Python 3.12's eager task execution
(``asyncio.eager_task_factory``), applied to task calls: an eager workflow's fan-out of calls that end at once
costs less than the same coroutines gathered in plain asyncio (docs/performance.md).

What a user sees (docs/eager.md): such a call's body runs when the call is made, not when it is awaited, in the
caller's asyncio Task; its error (and a call refused because the eager body it belongs to has ended) is raised
where it is awaited, as for a coroutine. A call is started only for a task whose last call on this path did not
wait (``TaskPlan.waits``); every other call is ``run_task``'s coroutine, started when awaited, as before. If the
body waits after all, it goes on in the coroutine returned (``_goes_on``), which joins the eager scope of the
Task that awaits it, so an eager's end stops it like any call it started.
"""

from __future__ import annotations

import asyncio
from contextvars import copy_context
from typing import TYPE_CHECKING, Any, NoReturn

from aioflyte.core.testing import MOCKED
from aioflyte.engine.eager_scope import EAGER_SCOPE, EagerScope
from aioflyte.engine.own_context import RETURNED, Call, first_step
from aioflyte.engine.task_runner import (
    TaskPlan,
    convert_hot_inputs,
    convert_outputs,
    convert_single_output,
    note,
    plan_for,
)
from aioflyte.runscope import RUN

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from aioflyte.core.task import PythonTask
    from aioflyte.engine.local import LocalController

_new = object.__new__


class Completed(asyncio.Future[Any]):
    """A task call that ended when it was made: a done asyncio Future holding its result, usable wherever the
    call's coroutine was (``await``, ``gather``, ``wait_for``, ``shield``; ``create_task`` and ``TaskGroup`` run
    it as a coroutine that returns the result at its first step). Unlike a coroutine it can be awaited more than
    once."""

    __slots__ = ()

    def send(self, value: Any) -> NoReturn:
        raise StopIteration(self.result())

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> NoReturn:
        if val is None:
            val = typ() if isinstance(typ, type) else typ
        raise val.with_traceback(tb) if tb is not None else val

    def close(self) -> None:
        """Nothing to close: the call has ended."""


# (``Completed`` is a ``collections.abc.Coroutine`` by its methods, ``__await__`` with ``send``, ``throw`` and
# ``close``: what ``asyncio.iscoroutine``, and so ``create_task``, checks; no registration is needed)


def start_task(
    controller: LocalController, task: PythonTask, inputs: dict[str, Any], loop: asyncio.AbstractEventLoop
) -> Awaitable[Any]:
    """The awaitable of a call of ``task`` made on the running ``loop``, started now if it can be (module doc);
    otherwise ``controller.run_task``'s coroutine. ``inputs`` is the call's own dict (it is not kept)."""
    plan: TaskPlan | None = task._plan
    if plan is None:  # the task's first call
        try:
            plan = plan_for(task)
        except Exception:  # reported where the call is awaited
            return controller.run_task(task, inputs)
    run = RUN.get()
    if (
        run is None
        or not plan.hot
        or plan.waits
        or plan.fn is None
        or run.tracker is not None
        or run.loop is not loop  # a loop of another thread's own (asyncio.run in a sync body)
        or MOCKED
    ):
        return controller.run_task(task, inputs)
    scope = EAGER_SCOPE.get()
    sole = plan.sole_exact
    try:
        if sole is None or type(inputs[sole[0]]) is not sole[1]:
            convert_hot_inputs(task, plan, inputs)
    except Exception:  # an input that is a call not awaited yet, or a wrong one: the coroutine resolves or reports
        return controller.run_task(task, inputs)
    if scope is not None:
        if scope.closed:  # the eager has ended: the call is refused in the Task that runs it
            return controller.run_task(task, inputs)
        scope.join()  # the caller's Task goes on after the call
    call = _new(Call)
    call.task = task
    call.run = run
    call.made = None
    try:
        fn: Any = plan.fn
        body = first_step(call, fn(inputs[sole[0]]) if sole is not None else fn(**inputs))
        del inputs  # the body holds its arguments now
        ctx = copy_context()
        result = ctx.run(next, body, RETURNED)  # the body's first step, with the call's frame set in ``ctx``
        if result is not RETURNED:  # it waits: it goes on when awaited
            plan.waits = True
            return _goes_on(scope, task, plan, call, ctx, body, result)
    except (Exception, asyncio.CancelledError) as e:
        note(e, task, 0)
        return _raises(e)
    result = call.value
    if type(result) is not plan.out_exact:
        if plan.out_conv is None:  # a conversion that may wait
            return _converted(scope, task, plan, result)
        try:
            result = convert_single_output(task, plan, result)  # its error names the task and the output
        except Exception as e:
            return _raises(e)
    done = Completed(loop=loop)
    done.set_result(result)
    return done


async def _raises(e: BaseException) -> NoReturn:
    """A call that failed as it started: its error, raised where it is awaited."""
    raise e


async def _converted(scope: EagerScope | None, task: PythonTask, plan: TaskPlan, result: Any) -> Any:
    """A call whose body returned at once, its outputs converted in the Task that awaits it."""
    if scope is not None and not scope.closed:
        scope.join()
    return await convert_outputs(task, plan, result)


async def _goes_on(
    scope: EagerScope | None,
    task: PythonTask,
    plan: TaskPlan,
    call: Call,
    ctx: Any,
    body: Any,
    yielded: Any,
) -> Any:
    """A started call whose body waited: the rest of it, in the Task that awaits this (which joins the eager scope
    first, so that the eager's end stops it; a body refused there is closed, its ``finally`` run in its context)."""
    if scope is not None:
        try:
            scope.join()
        except BaseException:  # refused (the eager has ended): the body, still suspended, is closed
            ctx.run(body.close)
            raise
    try:
        await call.drive(ctx, body, yielded)
    except BaseException as e:
        note(e, task, 0)
        raise
    finally:
        call.ctx = call.body = None  # the call, its context and the context's frame (the call) refer to each other
    result = call.value
    if type(result) is plan.out_exact:
        return result
    return await convert_outputs(task, plan, result)


__all__ = ["Completed", "start_task"]
