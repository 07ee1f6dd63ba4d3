"""The async type engine: Python values <-> flyteidl literals, one module per type family."""

from aioflyte.types.engine import (
    HashMethod,
    TypeEngine,
    TypeTransformer,
    TypeTransformerFailedError,
)

__all__ = ["HashMethod", "TypeEngine", "TypeTransformer", "TypeTransformerFailedError"]
