"""The pickle fallback: ``bytes`` and types with no transformer travel as cloudpickle files (flytekit's form)."""

from __future__ import annotations

import hashlib
import typing
import warnings
from typing import Any, Generic, TypeVar

from flyteidl.core import literals_pb2 as _lit
from flyteidl.core import types_pb2 as _types

from aioflyte.exceptions import TypeTransformerFailedError
from aioflyte.types.engine import LocalConverter, TypeTransformer, mismatch, strip_annotated, type_name

T = TypeVar("T")
PYTHON_PICKLE_FORMAT = "PythonPickle"

_WARNED: set[str] = set()


class FlytePickle(Generic[T]):
    """Marker for a value known only as a pickle (the Python type of a ``PythonPickle`` blob from a backend)."""


class PickleFallbackWarning(UserWarning):
    """A type has no transformer, so its values are pickled (readable only by the same code and Python)."""


def _warn_once(t: Any) -> None:
    key = str(t)
    if key in _WARNED:
        return
    _WARNED.add(key)
    message = (
        f"aioflyte: no transformer for {t}; values of it are pickled (cloudpickle), which only the same code "
        "on the same Python version can read. Prefer a dataclass, a pydantic model or a built-in type."
    )
    warnings.warn(message, PickleFallbackWarning, stacklevel=4)


def _pickle_literal_type(t: Any) -> _types.LiteralType:
    lt = _types.LiteralType(blob=_types.BlobType(format=PYTHON_PICKLE_FORMAT))
    lt.metadata.update({"python_class_name": str(t)})
    return lt


def _dumps(t: Any, v: Any) -> bytes:
    import cloudpickle

    try:
        return cloudpickle.dumps(v)
    except Exception as e:
        raise TypeTransformerFailedError(f"cannot pickle a {type(v).__name__} for {type_name(t)}: {e}") from e


def _loads(data: bytes) -> Any:
    import cloudpickle

    return cloudpickle.loads(data)


async def store_pickle(data: bytes) -> str:
    """Write pickled bytes to a fresh file under the raw output prefix; returns its URI."""
    from aioflyte.io import default_provider

    provider = default_provider()
    uri = provider.random_remote_path(hashlib.md5(data).hexdigest())
    return await provider.put_bytes(uri, data)


async def load_pickle(uri: str) -> Any:
    """The object pickled at ``uri``."""
    from aioflyte.io import default_provider

    return _loads(await default_provider().get_bytes(uri))


class PickleTransformer(TypeTransformer[Any]):
    """Pickles values of one type to a blob; checks the value's class where the type is a plain class."""

    def __init__(self, t: Any, warn: bool = True) -> None:
        super().__init__("FlytePickle", t)
        self._warn = warn

    def _note_use(self) -> None:
        if self._warn:
            _warn_once(self.python_type)

    def _check(self, t: Any, v: Any) -> None:
        if v is None:
            raise TypeTransformerFailedError(f"expected {type_name(t)}, got None: None cannot be pickled")
        if t is not Any and isinstance(t, type) and not issubclass(t, FlytePickle) and not isinstance(v, t):
            raise mismatch(t, v)

    def assert_type(self, t: Any, v: Any) -> None:
        self._check(strip_annotated(t), v)

    def get_literal_type(self, t: Any) -> _types.LiteralType:
        return _pickle_literal_type(t)

    async def to_literal(self, ctx: Any, python_val: Any, python_type: Any, expected: Any) -> _lit.Literal:
        self._note_use()
        self._check(python_type, python_val)
        uri = await store_pickle(_dumps(python_type, python_val))
        blob = _lit.Blob(metadata=_lit.BlobMetadata(type=_types.BlobType(format=PYTHON_PICKLE_FORMAT)), uri=uri)
        return _lit.Literal(scalar=_lit.Scalar(blob=blob))

    async def to_python_value(self, ctx: Any, lv: _lit.Literal, expected_python_type: Any) -> Any:
        self._note_use()
        if lv.WhichOneof("value") != "scalar" or lv.scalar.WhichOneof("value") != "blob":
            raise TypeTransformerFailedError(
                f"expected a pickle blob literal for {type_name(expected_python_type)}, got {lv.WhichOneof('value')}"
            )
        value = await load_pickle(lv.scalar.blob.uri)
        self._check(expected_python_type, value)
        return value

    def local_converter(self, t: Any) -> LocalConverter | None:
        self._note_use()

        def convert(v: Any) -> Any:
            self._check(t, v)
            return _loads(_dumps(t, v))

        return convert

    def guess_python_type(self, literal_type: _types.LiteralType) -> Any:
        if (
            literal_type.WhichOneof("type") == "blob"
            and literal_type.blob.format == PYTHON_PICKLE_FORMAT
            and literal_type.blob.dimensionality == _types.BlobType.SINGLE
        ):
            return FlytePickle
        raise ValueError(f"{literal_type} is not a pickle blob type")


class BytesTransformer(PickleTransformer):
    """``bytes``: pickled like flytekit does, deliberately (no warning); immutable, so local values pass as is."""

    def __init__(self) -> None:
        super().__init__(bytes, warn=False)

    def local_converter(self, t: Any) -> LocalConverter | None:
        def convert(v: Any) -> bytes:
            self._check(bytes, v)
            return v

        return convert

    def guess_python_type(self, literal_type: _types.LiteralType) -> Any:
        super().guess_python_type(literal_type)
        name = literal_type.metadata.fields.get("python_class_name")
        if name is not None and name.string_value == str(bytes):
            return bytes
        raise ValueError(f"{literal_type} is not a pickled bytes type")


def pickle_transformer_for(t: Any) -> TypeTransformer[Any]:
    """The fallback transformer for a type with no transformer (``typing.Any`` included); warns once on use."""
    quiet = t is not Any and isinstance(t, type) and issubclass(t, FlytePickle)
    quiet = quiet or typing.get_origin(t) is FlytePickle
    return PickleTransformer(t, warn=not quiet)


BYTES = BytesTransformer()
PICKLE_GUESS = PickleTransformer(FlytePickle, warn=False)
