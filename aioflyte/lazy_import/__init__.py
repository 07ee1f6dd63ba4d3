"""flytekit's ``flytekit.lazy_import``: ``lazy_module``."""

from aioflyte.lazy_import.lazy_module import is_imported as is_imported
from aioflyte.lazy_import.lazy_module import lazy_module as lazy_module

__all__ = ["is_imported", "lazy_module"]
