"""A local, Flyte-compatible backend: Flyte Admin's gRPC API over grpc.aio, with its state in SQLite.

``python -m aioflyte.server --port P --state-dir D`` (or :func:`serve`) starts it. This first slice serves the
registration and lookup calls of ``AdminService`` (tasks, workflows, launch plans and their states, projects,
domains); see ``docs/server.md`` for what is served and how it maps errors to gRPC status codes.
"""

from aioflyte.server.app import AdminServer, serve

__all__ = ["AdminServer", "serve"]
