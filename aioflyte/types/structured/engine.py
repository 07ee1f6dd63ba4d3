"""``StructuredDatasetTransformerEngine``: the one transformer for ``StructuredDataset`` and every dataframe type.

It picks an encoder or decoder by (dataframe type, storage protocol, format) and applies the column rules of
the reading task's annotation. Built-in handlers (pandas, pyarrow, polars) load when their library is first
used, so importing aioflyte never imports pandas.
"""

from __future__ import annotations

import html
import importlib
import logging
import sys
from typing import Any, AsyncIterator, ClassVar

from flyteidl.core import literals_pb2 as _lit
from flyteidl.core import types_pb2 as _types

from aioflyte.exceptions import DuplicateHandlerError, TypeTransformerFailedError
from aioflyte.io.provider import split_protocol
from aioflyte.types.engine import TypeEngine, TypeTransformer, type_name, value_repr
from aioflyte.types.structured.dataset import StructuredDataset
from aioflyte.types.structured.handlers import (
    Handlers,
    Renderable,
    StructuredDatasetDecoder,
    StructuredDatasetEncoder,
    call_handler,
    is_stream,
)
from aioflyte.types.structured.schema import (
    FSSPEC,
    GENERIC_FORMAT,
    StructuredDatasetMetadata,
    StructuredDatasetType,
    dataset_columns,
    dataset_type,
    extract_cols_and_format,
)

log = logging.getLogger(__name__)

# Built-in handler families, imported on first use of a type from the library (key: top-level module name).
_FAMILIES = {
    "pandas": "aioflyte.types.structured.pandas_handlers",
    "pyarrow": "aioflyte.types.structured.arrow_handlers",
    "polars": "aioflyte.types.structured.polars_handlers",
}
_loaded_families: set[str] = set()

HandlerTable = dict[Any, dict[str, dict[str, Any]]]


def _roots(t: Any) -> set[str]:
    if not isinstance(t, type):
        return set()
    return {(getattr(c, "__module__", None) or "").partition(".")[0] for c in t.__mro__}


def load_builtin_handlers(t: Any) -> None:
    """Register the built-in handlers of the library ``t`` comes from (once; a missing library is skipped)."""
    for root in _roots(t) & _FAMILIES.keys():
        load_family(root)


def load_family(root: str) -> bool:
    """Register the built-in handlers of one library (``"pandas"``, ``"pyarrow"``, ``"polars"``), once.

    False when the library (or what its handlers need) is not installed.
    """
    if root not in _loaded_families:
        _loaded_families.add(root)
        try:
            importlib.import_module(_FAMILIES[root])
        except ImportError as e:  # e.g. pandas without pyarrow: its parquet handlers cannot work
            log.debug("aioflyte: built-in %s dataset handlers unavailable: %s", root, e)
    return _FAMILIES[root] in sys.modules


def df_name(t: Any) -> str:
    """``pandas.DataFrame``, ``pyarrow.Table``: a dataframe type named with its library."""
    if not isinstance(t, type) or t.__module__ == "builtins":
        return type_name(t)
    return f"{t.__module__.partition('.')[0]}.{t.__qualname__}"


def _is_sd_type(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, StructuredDataset)


def _protocol_of(uri: str) -> str:
    return split_protocol(uri)[0]


class StructuredDatasetTransformerEngine(TypeTransformer[StructuredDataset]):
    """Converts ``StructuredDataset`` and dataframe values (pandas, pyarrow, polars, registered types)."""

    ENCODERS: ClassVar[HandlerTable] = {}
    DECODERS: ClassVar[HandlerTable] = {}
    DEFAULT_FORMATS: ClassVar[dict[Any, str]] = {}
    DEFAULT_PROTOCOLS: ClassVar[dict[Any, str]] = {}
    Renderers: ClassVar[dict[Any, Renderable]] = {}

    accepts_annotated = True

    def __init__(self) -> None:
        super().__init__("StructuredDataset Transformer", StructuredDataset)

    # --- registration -------------------------------------------------------------------------------
    @classmethod
    def register(
        cls,
        h: Handlers,
        default_for_type: bool = False,
        override: bool = False,
        default_format_for_type: bool = False,
        default_storage_for_type: bool = False,
    ) -> None:
        """Register an encoder or decoder. A handler with ``protocol=None`` serves every fsspec protocol.

        ``default_for_type``: a bare dataframe of this type is written with this handler's protocol and format;
        ``default_format_for_type`` / ``default_storage_for_type`` set only one of them; ``override`` replaces
        an earlier registration (and default).
        """
        if not isinstance(h, (StructuredDatasetEncoder, StructuredDatasetDecoder)):
            raise TypeError(f"expected a StructuredDatasetEncoder or StructuredDatasetDecoder, got {type(h).__name__}")
        if h.protocol == "":
            raise ValueError(f"{h}: use protocol=None, not '', for a handler that serves every protocol")
        if h.protocol is None:
            if default_for_type:
                raise ValueError(
                    f"{h} serves every protocol (protocol=None), so it cannot be default_for_type; "
                    "use default_format_for_type=True"
                )
            try:
                cls.register_for_protocol(h, FSSPEC, False, override, default_format_for_type, default_storage_for_type)
            except DuplicateHandlerError:
                log.debug("aioflyte: skipping %s for all protocols: one is already registered", h)
        else:
            cls.register_for_protocol(
                h, h.protocol, default_for_type, override, default_format_for_type, default_storage_for_type
            )
        if isinstance(h, StructuredDatasetDecoder):
            for p in h.additional_protocols:
                cls.register_for_protocol(h, p, False, override, False, False)

    @classmethod
    def register_for_protocol(
        cls,
        h: Handlers,
        protocol: str,
        default_for_type: bool,
        override: bool,
        default_format_for_type: bool,
        default_storage_for_type: bool,
    ) -> None:
        """Register ``h`` under one protocol (see ``register``)."""
        if protocol == "/":
            protocol = "file"
        load_builtin_handlers(h.python_type)  # so that a user's handler replaces a built-in one, never the reverse
        table = cls.ENCODERS if isinstance(h, StructuredDatasetEncoder) else cls.DECODERS
        formats = table.setdefault(h.python_type, {}).setdefault(protocol, {})
        if h.supported_format in formats and not override:
            raise DuplicateHandlerError(
                f"a handler for ({df_name(h.python_type)}, {protocol!r}, {h.supported_format!r}) is already "
                f"registered: {formats[h.supported_format]}; pass override=True to replace it"
            )
        formats[h.supported_format] = h
        if (default_for_type or default_format_for_type) and h.supported_format != GENERIC_FORMAT:
            if override or h.python_type not in cls.DEFAULT_FORMATS:
                cls.DEFAULT_FORMATS[h.python_type] = h.supported_format
        if default_for_type or default_storage_for_type:
            if override or h.python_type not in cls.DEFAULT_PROTOCOLS:
                cls.DEFAULT_PROTOCOLS[h.python_type] = protocol
        if h.python_type is not StructuredDataset:  # values of the type now convert through this transformer
            TypeEngine.register(_TRANSFORMER, additional_types=[h.python_type])

    @classmethod
    def register_renderer(cls, python_type: type, renderer: Renderable) -> None:
        """Render values of ``python_type`` with ``renderer.to_html(value)`` (used by ``to_html`` and decks)."""
        cls.Renderers[python_type] = renderer

    # --- lookup ---------------------------------------------------------------------------------------
    @classmethod
    def _finder(cls, table: HandlerTable, df_type: Any, protocol: str, fmt: str, kind: str) -> Any:
        load_builtin_handlers(df_type)
        owner = next((c for c in getattr(df_type, "__mro__", (df_type,)) if c in table), None)
        if owner is not None:
            by_protocol = table[owner]
            candidates = [by_protocol.get(protocol, {}), by_protocol.get(FSSPEC, {})]
            for formats in candidates:  # exact format first, for the protocol and then for every protocol
                if fmt in formats:
                    return formats[fmt]
            for formats in candidates:  # a handler for any format
                if GENERIC_FORMAT in formats:
                    return formats[GENERIC_FORMAT]
            if fmt == GENERIC_FORMAT:  # format unknown: the type's default, or its only handler
                default = cls.DEFAULT_FORMATS.get(owner)
                for formats in candidates:
                    if default in formats:
                        return formats[default]
                for formats in candidates:
                    if len(formats) == 1:
                        return next(iter(formats.values()))
        known = sorted(f"({df_name(t)}, {p!r}, {f!r})" for t, ps in table.items() for p, fs in ps.items() for f in fs)
        raise ValueError(
            f"no {kind} for {df_name(df_type)} with protocol {protocol!r} and format {fmt!r}; "
            f"registered: {', '.join(known) or 'none'}"
        )

    @classmethod
    def get_encoder(cls, df_type: Any, protocol: str, format: str) -> StructuredDatasetEncoder:
        return cls._finder(cls.ENCODERS, df_type, protocol, format, "encoder")

    @classmethod
    def get_decoder(cls, df_type: Any, protocol: str, format: str) -> StructuredDatasetDecoder:
        return cls._finder(cls.DECODERS, df_type, protocol, format, "decoder")

    @classmethod
    def handles(cls, t: Any, encoders_only: bool = False) -> bool:
        """Whether an encoder (or decoder) is registered for dataframe type ``t`` (built-ins loaded first)."""
        load_builtin_handlers(t)
        mro = getattr(t, "__mro__", (t,))
        return any(c in cls.ENCODERS or (not encoders_only and c in cls.DECODERS) for c in mro)

    def _default_protocol(self, df_type: Any, uri: str | None) -> str:
        if df_type in self.DEFAULT_PROTOCOLS:
            return self.DEFAULT_PROTOCOLS[df_type]
        if uri:
            return _protocol_of(uri)
        from aioflyte.io import default_provider

        return _protocol_of(default_provider().raw_output_prefix)

    # --- literal types --------------------------------------------------------------------------------
    def get_literal_type(self, t: Any) -> _types.LiteralType:
        return _types.LiteralType(structured_dataset_type=dataset_type(t))

    def guess_python_type(self, literal_type: _types.LiteralType) -> Any:
        if literal_type.WhichOneof("type") == "structured_dataset_type":
            return StructuredDataset
        raise ValueError(f"{self.name} cannot guess a Python type for {literal_type}")

    def assert_type(self, t: Any, v: Any) -> None:
        base, *_ = extract_cols_and_format(t)
        if isinstance(v, StructuredDataset):
            return
        if v is not None and self.handles(type(v), encoders_only=True):
            return
        raise self._mismatch(base, v)

    def _mismatch(self, base: Any, v: Any) -> TypeTransformerFailedError:
        if _is_sd_type(base):
            known = sorted({df_name(t) for t in self.ENCODERS})
            want = f"{type_name(base)} or a dataframe ({', '.join(known) or 'none registered'})"
        else:
            want = df_name(base)
        return TypeTransformerFailedError(f"expected {want}, got {df_name(type(v))} ({value_repr(v)})")

    # --- python -> literal ----------------------------------------------------------------------------
    async def to_literal(self, ctx: Any, python_val: Any, python_type: Any, expected: Any) -> _lit.Literal:
        base, *_ = extract_cols_and_format(python_type)
        sdt = StructuredDatasetType()
        if expected is not None and expected.HasField("structured_dataset_type"):
            sdt.CopyFrom(expected.structured_dataset_type)
        else:
            sdt.CopyFrom(dataset_type(python_type))

        if isinstance(python_val, StructuredDataset):
            sd = python_val
        elif python_val is not None and self.handles(type(python_val), encoders_only=True):
            # Any dataframe type can be stored; the reader gets the type it declares (pandas in, arrow out, ...).
            sd = StructuredDataset(
                dataframe=python_val, metadata=StructuredDatasetMetadata(structured_dataset_type=sdt)
            )
        else:
            raise self._mismatch(base, python_val)

        if sd._literal_sd is not None:  # already stored (an input passed on, or written before): pass it through
            if sd._dataframe is not None and not sd._already_uploaded:
                raise ValueError(f"{sd} has both a stored literal and a dataframe; give one of them")
            return _lit.Literal(scalar=_lit.Scalar(structured_dataset=sd._literal_sd))

        if sd._dataframe is None:  # data stored by the user: point at it (local data is copied to the raw prefix)
            if not sd.uri:
                raise ValueError("a StructuredDataset needs a dataframe or a uri; this one has neither")
            uri = await _upload_if_local(sd.uri)
            if not sdt.format and sd.file_format:
                sdt.format = sd.file_format
            model = _lit.StructuredDataset(uri=uri, metadata=StructuredDatasetMetadata(structured_dataset_type=sdt))
            return _lit.Literal(scalar=_lit.Scalar(structured_dataset=model))

        df_type = type(sd._dataframe)
        fmt = sdt.format or sd.file_format or self.DEFAULT_FORMATS.get(df_type, GENERIC_FORMAT)
        protocol = self._default_protocol(df_type, sd.uri)
        return await self.encode(ctx, sd, df_type, protocol, fmt, sdt)

    async def encode(
        self,
        ctx: Any,
        sd: StructuredDataset,
        df_type: type,
        protocol: str,
        format: str,
        structured_literal_type: StructuredDatasetType,
    ) -> _lit.Literal:
        """Write ``sd.dataframe`` with the handler for (df_type, protocol, format) and return its literal."""
        handler = self.get_encoder(df_type, protocol, format)
        sdt = StructuredDatasetType()
        sdt.CopyFrom(structured_literal_type)
        sdt.format = handler.supported_format or format
        model = await call_handler(handler.encode, ctx, sd, sdt)
        if not isinstance(model, _lit.StructuredDataset) and callable(getattr(model, "to_flyte_idl", None)):
            model = model.to_flyte_idl()  # a flytekit-style model object
        if not isinstance(model, _lit.StructuredDataset):
            raise TypeTransformerFailedError(
                f"encoder {handler} returned {type(model).__name__}; it must return a "
                "flyteidl.core.literals_pb2.StructuredDataset (uri + metadata), or a model object of one"
            )
        if not model.metadata.HasField("structured_dataset_type"):
            model.metadata.structured_dataset_type.CopyFrom(structured_literal_type)
        # The literal names the format the handler wrote, whatever was asked for.
        model.metadata.structured_dataset_type.format = handler.supported_format
        sd._literal_sd = model
        sd._already_uploaded = True
        if not sd.uri:
            sd.uri = model.uri
        return _lit.Literal(scalar=_lit.Scalar(structured_dataset=model))

    # --- literal -> python ----------------------------------------------------------------------------
    async def to_python_value(self, ctx: Any, lv: _lit.Literal, expected_python_type: Any) -> Any:
        """The value for a task that declares ``expected_python_type`` (column rules: see the table in the docs).

        Declared columns win: the decoder gets them and reads only those. With none declared, the decoder gets
        the incoming literal's columns (or none).
        """
        if lv.WhichOneof("value") != "scalar" or lv.scalar.WhichOneof("value") != "structured_dataset":
            got = lv.scalar.WhichOneof("value") if lv.WhichOneof("value") == "scalar" else lv.WhichOneof("value")
            raise TypeTransformerFailedError(
                f"expected a structured dataset literal for {type_name(expected_python_type)}, got {got}"
            )
        base, columns, _, _ = extract_cols_and_format(expected_python_type)
        incoming = lv.scalar.structured_dataset
        in_sdt = incoming.metadata.structured_dataset_type
        sdt = StructuredDatasetType(
            columns=dataset_columns(columns) if columns else list(in_sdt.columns),
            format=in_sdt.format,
            external_schema_type=in_sdt.external_schema_type,
            external_schema_bytes=in_sdt.external_schema_bytes,
        )
        metadata = StructuredDatasetMetadata(structured_dataset_type=sdt)
        if _is_sd_type(base):
            sd = base(metadata=metadata, uri=incoming.uri, file_format=in_sdt.format)
            sd._literal_sd = _lit.StructuredDataset()
            sd._literal_sd.CopyFrom(incoming)
            return sd
        if not isinstance(base, type):
            raise TypeTransformerFailedError(f"cannot read a structured dataset as {type_name(base)}")
        return await self.open_as(ctx, incoming, base, metadata)

    async def open_as(
        self, ctx: Any, sd: _lit.StructuredDataset, df_type: type, updated_metadata: StructuredDatasetMetadata
    ) -> Any:
        """The data of ``sd`` as one ``df_type`` value, with ``updated_metadata``'s columns."""
        decoder = self.get_decoder(df_type, _protocol_of(sd.uri), sd.metadata.structured_dataset_type.format)
        result = await call_handler(decoder.decode, ctx, sd, updated_metadata)
        if is_stream(result):
            close = getattr(result, "aclose", None) or getattr(result, "close", None)
            if close is not None:
                maybe = close()
                if hasattr(maybe, "__await__"):
                    await maybe
            raise ValueError(f"decoder {decoder} returned an iterator, but the whole dataset was asked for")
        return result

    def iter_as(
        self, ctx: Any, sd: _lit.StructuredDataset, df_type: type, updated_metadata: StructuredDatasetMetadata
    ) -> AsyncIterator[Any]:
        """The data of ``sd`` as a stream of ``df_type`` values."""
        decoder = self.get_decoder(df_type, _protocol_of(sd.uri), sd.metadata.structured_dataset_type.format)
        return decoder.iter_decode(ctx, sd, updated_metadata)

    # --- rendering ------------------------------------------------------------------------------------
    def to_html(self, ctx: Any, python_val: Any, expected_python_type: Any) -> str:
        """HTML for a dataframe or a dataset (a dataset not in memory shows its declared columns)."""
        if isinstance(python_val, StructuredDataset):
            if python_val.dataframe is None:
                rows = "".join(
                    f"<tr><td>{html.escape(k)}</td><td>{html.escape(type_name(v))}</td></tr>"
                    for k, v in python_val.columns().items()
                )
                return f"<table><tr><th>column</th><th>type</th></tr>{rows}</table>"
            python_val = python_val.dataframe
        load_builtin_handlers(type(python_val))
        for c in type(python_val).__mro__:
            if c in self.Renderers:
                return self.Renderers[c].to_html(python_val)
        raise NotImplementedError(
            f"no renderer for {type(python_val).__name__}; register one with "
            "StructuredDatasetTransformerEngine.register_renderer(type, renderer)"
        )


async def _upload_if_local(uri: str) -> str:
    """A remote uri as is; local data (a file or a directory) copied to a fresh place under the raw prefix."""
    import os

    from aioflyte.io import default_provider

    protocol, path = split_protocol(uri)
    if protocol != "file":
        return uri
    provider = default_provider()
    if os.path.isdir(path):  # noqa: ASYNC240  one stat of a local path, before an upload
        return await provider.put_directory(path, provider.random_remote_path())
    if not os.path.exists(path):  # noqa: ASYNC240
        raise TypeTransformerFailedError(f"StructuredDataset(uri={uri!r}): there is no file or directory there")
    return await provider.put_file(path, provider.random_remote_path(os.path.basename(path)))


def transformer_for(t: Any) -> StructuredDatasetTransformerEngine | None:
    """The dataset transformer if ``t`` is a dataframe type some handler serves, else None (for dispatch)."""
    return _TRANSFORMER if StructuredDatasetTransformerEngine.handles(t) else None


_TRANSFORMER = StructuredDatasetTransformerEngine()
flyte_dataset_transformer = _TRANSFORMER
TypeEngine.register(_TRANSFORMER)
