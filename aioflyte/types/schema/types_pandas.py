"""The pandas schema handler: ``pandas.DataFrame`` parts as parquet files (flytekit's ``PandasSchemaReader`` and
``PandasSchemaWriter``). Registered with ``SchemaEngine`` when a schema is first opened with pandas."""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from aioflyte.types.schema.types import LocalIOSchemaReader, LocalIOSchemaWriter, SchemaEngine, SchemaHandler


class PandasSchemaReader(LocalIOSchemaReader[pd.DataFrame]):
    def _read(self, *path: str, **kwargs: Any) -> pd.DataFrame:
        columns = kwargs.pop("columns", None) or self.column_names
        frames = [pd.read_parquet(p, columns=columns, **kwargs) for p in path if os.path.getsize(p) > 0]
        if not frames:
            return pd.DataFrame()
        return frames[0] if len(frames) == 1 else pd.concat(frames)


class PandasSchemaWriter(LocalIOSchemaWriter[pd.DataFrame]):
    def _write(self, df: pd.DataFrame, path: str, **kwargs: Any) -> None:
        df.to_parquet(path, coerce_timestamps="us", allow_truncated_timestamps=True, **kwargs)


SchemaEngine.register_handler(
    SchemaHandler("pandas-dataframe-schema", pd.DataFrame, PandasSchemaReader, PandasSchemaWriter)
)

__all__ = ["PandasSchemaReader", "PandasSchemaWriter"]
