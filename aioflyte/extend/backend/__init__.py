"""flytekit's ``flytekit.extend.backend``: connectors (``base_connector``), their older names (``base_agent``) and
helpers (``utils``). The code lives in ``aioflyte.core.connector`` and ``aioflyte.core.connector_exec``."""
