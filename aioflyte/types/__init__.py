"""The async type engine: Python values <-> flyteidl literals, one module per type family."""

from aioflyte.exceptions import TypeTransformerFailedError
from aioflyte.types.engine import HashMethod, TypeEngine, TypeTransformer

__all__ = ["HashMethod", "TypeEngine", "TypeTransformer", "TypeTransformerFailedError"]
