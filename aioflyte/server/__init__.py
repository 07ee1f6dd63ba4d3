"""A local, Flyte-compatible backend: Flyte Admin's gRPC API over grpc.aio, with its state in SQLite.

``python -m aioflyte.server --port P --state-dir D`` (or :func:`serve`) starts it. It serves the registration
and lookup calls of ``AdminService`` (tasks, workflows, launch plans and their states, projects, domains) and
executions of tasks, run as local processes through the container entrypoint; see ``docs/server.md`` for what
is served and how errors map to gRPC status codes.
"""

from aioflyte.server.app import AdminServer, serve

__all__ = ["AdminServer", "serve"]
