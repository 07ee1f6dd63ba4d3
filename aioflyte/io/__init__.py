"""The async data plane: reading and writing objects by URI over fsspec filesystems."""

from aioflyte.io.provider import FileAccessProvider, default_provider

__all__ = ["FileAccessProvider", "default_provider"]
