"""flytekit's ``flytekit.extend.backend.utils``: helpers for connector authors (code in ``aioflyte.core.connector``)."""

from __future__ import annotations

from aioflyte.core.connector import convert_to_flyte_phase as convert_to_flyte_phase
from aioflyte.core.connector import get_agent_secret as get_agent_secret
from aioflyte.core.connector import get_connector_secret as get_connector_secret
from aioflyte.core.connector import is_terminal_phase as is_terminal_phase
from aioflyte.core.connector import mirror_async_methods as mirror_async_methods
from aioflyte.core.connector import render_task_template as render_task_template

__all__ = [
    "convert_to_flyte_phase",
    "get_agent_secret",
    "get_connector_secret",
    "is_terminal_phase",
    "mirror_async_methods",
    "render_task_template",
]
