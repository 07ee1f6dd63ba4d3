"""The adapter between the async engine and transformers written for flytekit (sync, or ``async_to_literal``).

flytekit's transformers take and return flytekit's model objects (``Literal``, ``LiteralType``: Python views with
``to_flyte_idl()``), get a ``FlyteContext`` as ``ctx`` and may block. The engine works on flyteidl messages, passes
``ctx=None`` and never blocks its loop. This module bridges the two:

- ``idl_literal`` / ``idl_literal_type``: a message from anything with ``to_flyte_idl()`` (or a message);
- ``literal_view`` / ``literal_type_view`` / ``literal_map_view``: the model object of a message, when the model
  classes (``aioflyte.models.literals`` / ``aioflyte.models.types``) provide one, else the message itself, which
  reads the same for most code (``lv.scalar.primitive.integer``, ``lv.scalar.blob.uri``);
- ``flyte_context``: the caller's context, or the current ``FlyteContext`` when the caller passed none;
- ``in_worker``: a sync transformer call in a worker thread, whose own sync ``TypeEngine`` calls are sent back to
  the calling loop (``aioflyte.io.bridge``), so nothing blocks the loop and no second loop is made;
- ``run_sync``: a coroutine run for a sync caller (the run's loop from a task's worker thread, else a private one).
"""

from __future__ import annotations

import asyncio
import contextvars
import importlib
import sys
from typing import Any, Awaitable, Callable, TypeVar

from flyteidl.core import literals_pb2 as _lit
from flyteidl.core import types_pb2 as _types

from aioflyte.exceptions import TypeTransformerFailedError

R = TypeVar("R")

# How deep this context is in sync transformer calls made from a loop (a sync transformer that converts a nested
# value with another sync transformer): only the outermost call waits for a worker thread.
_DEPTH: contextvars.ContextVar[int] = contextvars.ContextVar("aioflyte_sync_transformer_depth", default=0)


def on_loop_thread() -> bool:
    """Whether this thread is running an event loop (where a sync wait would stall every task on it)."""
    return asyncio._get_running_loop() is not None


# ------------------------------------------------------------------------------------------------ messages


def _to_idl(value: Any, cls: type, what: str) -> Any:
    if isinstance(value, cls):
        return value
    to_idl = getattr(value, "to_flyte_idl", None)
    if to_idl is not None:
        msg = to_idl()
        if isinstance(msg, cls):
            return msg
        value = msg
    raise TypeTransformerFailedError(
        f"{what} must be a flyteidl {cls.__name__} or an object with to_flyte_idl(), got {type(value).__name__}"
    )


def idl_literal(value: Any, what: str = "a literal") -> _lit.Literal:
    """The flyteidl ``Literal`` of a message or a model object."""
    return _to_idl(value, _lit.Literal, what)


def idl_literal_type(value: Any, what: str = "a literal type") -> _types.LiteralType:
    """The flyteidl ``LiteralType`` of a message or a model object."""
    return _to_idl(value, _types.LiteralType, what)


def idl_literal_map(value: Any, what: str = "a literal map") -> _lit.LiteralMap:
    return _to_idl(value, _lit.LiteralMap, what)


# ------------------------------------------------------------------------------------------------ model views

# The model classes a message is shown as to flytekit-style code: (module, class) per message class, resolved on
# first use. A slot holds None when there is no such class (the message itself is shown).
_MODEL_NAMES: dict[type, tuple[str, str]] = {
    _lit.Literal: ("aioflyte.models.literals", "Literal"),
    _lit.LiteralMap: ("aioflyte.models.literals", "LiteralMap"),
    _types.LiteralType: ("aioflyte.models.types", "LiteralType"),
}
_MODELS: dict[type, Any] = {}


def model_class(message_class: type) -> Any:
    """The model class (with ``from_flyte_idl``) that shows messages of ``message_class``, or None."""
    try:
        return _MODELS[message_class]
    except KeyError:
        pass
    found = None
    names = _MODEL_NAMES.get(message_class)
    if names is not None:
        try:
            module = importlib.import_module(names[0])
        except ImportError:
            module = None
        candidate = getattr(module, names[1], None)
        if candidate is not None and callable(getattr(candidate, "from_flyte_idl", None)):
            found = candidate
    _MODELS[message_class] = found
    return found


def set_model_class(message_class: type, model: Any) -> None:
    """Show messages of ``message_class`` as ``model.from_flyte_idl(message)`` (None: as the message itself)."""
    _MODELS[message_class] = model


def _view(value: Any, message_class: type) -> Any:
    if not isinstance(value, message_class):
        return value  # already a model (or None)
    model = model_class(message_class)
    return value if model is None else model.from_flyte_idl(value)


def literal_view(lit: Any) -> Any:
    """A literal as flytekit-style code expects it: its model object where there is a model class."""
    return _view(lit, _lit.Literal)


def literal_type_view(lt: Any) -> Any:
    return _view(lt, _types.LiteralType)


def literal_map_view(lm: Any) -> Any:
    return _view(lm, _lit.LiteralMap)


# ------------------------------------------------------------------------------------------------ context


def flyte_context(ctx: Any) -> Any:
    """``ctx``, or (when the caller passed None) the current ``FlyteContext`` for flytekit-style transformers.

    The context class belongs to the authoring layer, which this layer never imports: it is used when that layer
    is loaded (always the case when tasks run), else the transformer gets None, as the caller gave.
    """
    if ctx is not None:
        return ctx
    for name in ("aioflyte.core.context_manager", "aioflyte.core.context"):  # where it lives, where it was first
        manager = getattr(sys.modules.get(name), "FlyteContextManager", None)
        if manager is not None:
            return manager.current_context()
    return None


# ------------------------------------------------------------------------------------------------ threads and loops


async def in_worker(fn: Callable[..., R], *args: Any) -> R:
    """``fn(*args)`` in a worker thread; sync conversions it asks for run on this loop meanwhile."""
    import anyio
    import anyio.to_thread

    from aioflyte.io import bridge

    loop = asyncio.get_running_loop()
    depth = _DEPTH.get()

    def call() -> R:
        _DEPTH.set(depth + 1)  # the worker runs in a copy of this context: these settings stay there
        bridge.CALLER_LOOP.set(loop)
        return fn(*args)

    # A nested call gets a thread of its own: waiting for one held by its caller could wait forever.
    limiter = anyio.CapacityLimiter(1) if depth else None
    return await anyio.to_thread.run_sync(call, limiter=limiter)


def run_sync(make: Callable[[], Awaitable[R]], what: str, instead: str) -> R:
    """Run a coroutine for a sync caller (not on a loop thread): see ``aioflyte.io.bridge``."""
    from aioflyte.io import bridge

    return bridge.call(make, what, instead)
