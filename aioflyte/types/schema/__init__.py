"""flytekit's ``flytekit.types.schema``: ``FlyteSchema`` (deprecated in flytekit for ``StructuredDataset``, and
still used) with its formats, open modes, readers, writers and handler registry. See ``types.py``."""

from aioflyte.types.schema.types import FlyteSchema as FlyteSchema
from aioflyte.types.schema.types import FlyteSchemaTransformer as FlyteSchemaTransformer
from aioflyte.types.schema.types import LocalIOSchemaReader as LocalIOSchemaReader
from aioflyte.types.schema.types import LocalIOSchemaWriter as LocalIOSchemaWriter
from aioflyte.types.schema.types import SchemaEngine as SchemaEngine
from aioflyte.types.schema.types import SchemaFormat as SchemaFormat
from aioflyte.types.schema.types import SchemaHandler as SchemaHandler
from aioflyte.types.schema.types import SchemaOpenMode as SchemaOpenMode
from aioflyte.types.schema.types import SchemaReader as SchemaReader
from aioflyte.types.schema.types import SchemaWriter as SchemaWriter

__all__ = [
    "FlyteSchema",
    "FlyteSchemaTransformer",
    "LocalIOSchemaReader",
    "LocalIOSchemaWriter",
    "SchemaEngine",
    "SchemaFormat",
    "SchemaHandler",
    "SchemaOpenMode",
    "SchemaReader",
    "SchemaWriter",
]
