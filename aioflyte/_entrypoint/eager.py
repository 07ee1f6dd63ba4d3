"""An ``@eager`` task running inside a backend execution: its awaited entities become child executions.

When the container knows its backend (``FLYTE_PLATFORM_URL``, as the Flyte platform and the local server set it)
and its execution (``FLYTE_INTERNAL_EXECUTION_*``), the eager body runs with a
:class:`~aioflyte.remote.controller.RemoteController` installed: children are named from the parent execution,
so a recovered or re-run parent reuses the children that already ran, and children still running when the body
ends (it failed, or the task was terminated: SIGTERM cancels the body) are terminated. Without a backend the
calls run in this container.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import AsyncIterator
from typing import Any

log = logging.getLogger("aioflyte.entrypoint")


@contextlib.asynccontextmanager
async def eager_controller(entity: Any) -> AsyncIterator[Any]:
    """Install a RemoteController for the eager body when a backend is configured; yields it (or None)."""
    execution = os.environ.get("FLYTE_INTERNAL_EXECUTION_ID")
    if not os.environ.get("FLYTE_PLATFORM_URL") or not execution:
        log.warning("eager task %s: its calls run in this container (no FLYTE_PLATFORM_URL is set)", entity.name)
        yield None
        return
    from aioflyte.configuration.config import Config
    from aioflyte.core.controller import use_controller
    from aioflyte.remote.controller import RemoteController
    from aioflyte.remote.remote import FlyteRemote

    remote = FlyteRemote(
        Config.auto(),
        default_project=os.environ.get("FLYTE_INTERNAL_EXECUTION_PROJECT"),
        default_domain=os.environ.get("FLYTE_INTERNAL_EXECUTION_DOMAIN"),
    )
    controller = RemoteController(
        remote, execution_name=execution, version=os.environ.get("FLYTE_INTERNAL_VERSION") or None
    )
    loop = asyncio.get_running_loop()
    body = asyncio.current_task()
    # terminating the parent execution SIGTERMs this process: cancel the body, so its children get terminated
    if body is not None:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGTERM, body.cancel)
    try:
        with use_controller(controller):
            yield controller
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.remove_signal_handler(signal.SIGTERM)
        try:
            await controller.close()  # terminates the children still running
        finally:
            await remote.close()
