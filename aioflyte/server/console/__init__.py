"""The web console of ``aioflyte serve``, at ``/console`` on the server's HTTP port (:mod:`aioflyte.server.http`).

Server-rendered pages (aiohttp) over the server's own state: executions (with live updates by polling), an
execution's graph, timeline, inputs and outputs, error, logs, decks and signals; relaunch and terminate; registered
tasks, workflows and launch plans (activate/deactivate). The one script and stylesheet are in ``static/``, shipped
in the wheel; pages load nothing from elsewhere. URLs follow FlyteConsole's, so ``FlyteRemote.generate_console_url``
links here: ``/console/projects/P/domains/D/executions/NAME``, ``/console/projects/P/domains/D/task/NAME/version/V``.
"""

from __future__ import annotations

from aioflyte.server.console.app import Console

__all__ = ["Console"]
