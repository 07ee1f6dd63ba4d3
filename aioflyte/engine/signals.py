"""Signal values for gates (``approve``, ``wait_for_input``) of local runs.

Values come from a mapping given when the run starts (``aioflyte.run(wf, signals={...})``,
``aioflyte.start(wf, signals={...})``), from ``RunHandle.set_signal`` called by another coroutine while the
run waits, or, only when stdin is a terminal, from a prompt.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from aioflyte.exceptions import FlyteGateTimeout as FlyteGateTimeout
from aioflyte.runscope import RunState


class SignalProvider:
    """Signal values of one run, and the gates waiting for them."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        self._waiters: dict[str, list[asyncio.Future[Any]]] = {}

    def update(self, values: dict[str, Any]) -> None:
        for k, v in values.items():
            self.set(k, v)

    def set(self, name: str, value: Any) -> None:
        """Set a signal; gates waiting on it resume."""
        self._values[name] = value
        for fut in self._waiters.pop(name, []):
            if not fut.done():
                fut.get_loop().call_soon_threadsafe(_resolve, fut, value)

    def waiting(self) -> list[str]:
        """Names of signals gates are waiting for right now."""
        return [k for k, futs in self._waiters.items() if any(not f.done() for f in futs)]

    async def wait(self, name: str, timeout: float | None, prompt: str) -> Any:
        if name in self._values:
            return self._values[name]
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(name, []).append(fut)
        waiters = [fut]
        if _interactive():
            waiters.append(asyncio.ensure_future(_ask(prompt)))
        try:
            done, _ = await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if not done:
                raise FlyteGateTimeout(f"gate {name!r} timed out after {timeout:g}s waiting for its signal")
            return next(iter(done)).result()
        finally:
            for w in waiters:
                w.cancel()
            futs = self._waiters.get(name, [])
            if fut in futs:
                futs.remove(fut)


def _resolve(fut: asyncio.Future[Any], value: Any) -> None:
    if not fut.done():
        fut.set_result(value)


def _interactive() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, AttributeError):
        return False


async def _ask(prompt: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(None, input, prompt)


def provider_for(run: RunState) -> SignalProvider:
    if run.signals is None:
        run.signals = SignalProvider()
    return run.signals
