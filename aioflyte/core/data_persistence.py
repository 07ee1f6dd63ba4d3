"""flytekit's ``flytekit.core.data_persistence``: ``FileAccessProvider`` with flytekit 1.16's surface.

The class lives in ``aioflyte.io.data_persistence`` (a subclass of the async ``aioflyte.io.FileAccessProvider``).
``default_local_file_access_provider`` is made on first use; its raw output prefix follows the current run (the
process default outside one), and ``flyte_tmp_dir`` is the temporary directory its sandbox lives in.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from aioflyte.configuration.data import DataConfig as DataConfig
from aioflyte.exceptions import FlyteAssertion as FlyteAssertion
from aioflyte.exceptions import FlyteDataNotFoundError as FlyteDataNotFoundException
from aioflyte.exceptions import FlyteDownloadDataException as FlyteDownloadDataException
from aioflyte.exceptions import FlyteUploadDataException as FlyteUploadDataException
from aioflyte.io.data_persistence import FileAccessProvider as FileAccessProvider
from aioflyte.io.data_persistence import Uploadable as Uploadable
from aioflyte.io.data_persistence import azure_setup_args as azure_setup_args
from aioflyte.io.data_persistence import get_fsspec_storage_options as get_fsspec_storage_options
from aioflyte.io.data_persistence import s3_setup_args as s3_setup_args

_made: dict[str, Any] = {}


def __getattr__(name: str) -> Any:
    """``flyte_tmp_dir`` and ``default_local_file_access_provider``, made on first use (importing stays cheap)."""
    if name not in ("flyte_tmp_dir", "default_local_file_access_provider"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if not _made:
        import atexit
        import shutil

        tmp = tempfile.mkdtemp(prefix="flyte-")
        atexit.register(shutil.rmtree, tmp, True)  # as the process's other scratch space: removed at exit
        _made["flyte_tmp_dir"] = tmp
        _made["default_local_file_access_provider"] = FileAccessProvider(local_sandbox_dir=os.path.join(tmp, "sandbox"))
    return _made[name]


def __dir__() -> list[str]:
    return sorted([*globals(), "flyte_tmp_dir", "default_local_file_access_provider"])


__all__ = [
    "DataConfig",
    "FileAccessProvider",
    "FlyteAssertion",
    "FlyteDataNotFoundException",
    "FlyteDownloadDataException",
    "FlyteUploadDataException",
    "Uploadable",
    "azure_setup_args",
    "get_fsspec_storage_options",
    "s3_setup_args",
]
