"""flytekit's ``flytekit.types.*`` module paths under ``aioflyte.types``, with flytekit 1.16's public names."""

from __future__ import annotations

import importlib
import typing

import pytest

import aioflyte

# Taken from flytekit 1.16.31: dir() of each module, its public names, less the exclusions listed under it.
NAMES = {
    "aioflyte.types.file": [
        "CSVFile", "FileExt", "FlyteFile", "FlyteFilePathTransformer", "HDF5EncodedFile", "HTMLPage", "JPEGImageFile",
        "JSONLFile", "JoblibSerializedFile", "ONNXFile", "PDFFile", "PNGImageFile", "PythonNotebook",
        "PythonPickledFile", "SVGImageFile", "TFRecordFile", "csv", "hdf5", "html", "ipynb", "joblib", "jpeg",
        "jsonl_file", "onnx", "pdf", "png", "python_pickle", "svg", "tfrecords_file",
    ],
    "aioflyte.types.directory": [
        "FlyteDirToMultipartBlobTransformer", "FlyteDirectory", "TFRecordsDirectory", "TensorboardLogs", "tensorboard",
        "tfrecords_dir",
    ],
    "aioflyte.types.structured": [
        "ArrowRenderer", "DuplicateHandlerError", "StructuredDataset", "StructuredDatasetDecoder",
        "StructuredDatasetEncoder", "StructuredDatasetTransformerEngine", "TopFrameRenderer",
        "lazy_import_structured_dataset_handler", "register_arrow_handlers", "register_csv_handlers",
        "register_pandas_handlers",
    ],
    # left out: register_bigquery_handlers, register_snowflake_handlers (those plugins are not in aioflyte),
    # is_imported (flytekit's lazy-import helper)
    "aioflyte.types.structured.structured_dataset": [
        "CSV", "DF", "DuplicateHandlerError", "GENERIC_FORMAT", "GENERIC_PROTOCOL", "LiteralType", "MESSAGEPACK",
        "PARQUET", "Renderable", "StructuredDataset", "StructuredDatasetDecoder", "StructuredDatasetEncoder",
        "StructuredDatasetFormat", "StructuredDatasetMetadata", "StructuredDatasetTransformerEngine",
        "StructuredDatasetType", "T", "TypeEngine", "TypeTransformerFailedError",
        "convert_schema_type_to_structured_dataset_type", "extract_cols_and_format", "flatten_dict",
        "flyte_dataset_transformer", "get_supported_types",
    ],
    "aioflyte.types.pickle": ["FlytePickle"],
    "aioflyte.types.iterator": ["FlyteIterator"],
    # left out: JSON, json_iterator (Iterator[JSON] as a JSON Lines file: not in aioflyte yet)
    "aioflyte.types.error": ["FlyteError"],
    "aioflyte.types.schema": [
        "FlyteSchema", "FlyteSchemaTransformer", "LocalIOSchemaReader", "LocalIOSchemaWriter", "SchemaEngine",
        "SchemaFormat", "SchemaHandler", "SchemaOpenMode", "SchemaReader", "SchemaWriter",
    ],
}  # fmt: skip


@pytest.mark.parametrize(("module", "names"), sorted(NAMES.items()))
def test_every_flytekit_name_is_there(module, names):
    mod = importlib.import_module(module)
    assert [n for n in names if not hasattr(mod, n)] == []


def test_the_names_are_the_objects_aioflyte_uses():
    from aioflyte.exceptions import FlyteError
    from aioflyte.types import directory, error, file, pickle, structured
    from aioflyte.types.structured import structured_dataset as sd

    same = [
        (file.FlyteFile, aioflyte.FlyteFile),
        (directory.FlyteDirectory, aioflyte.FlyteDirectory),
        (pickle.FlytePickle, aioflyte.FlytePickle),
        (error.FlyteError, FlyteError),
        (structured.StructuredDataset, aioflyte.StructuredDataset),
        (sd.StructuredDataset, aioflyte.StructuredDataset),
        (sd.StructuredDatasetTransformerEngine, aioflyte.StructuredDatasetTransformerEngine),
        (sd.StructuredDatasetEncoder, aioflyte.StructuredDatasetEncoder),
        (sd.TypeEngine, aioflyte.TypeEngine),
        (file.CSVFile, aioflyte.FlyteFile["csv"]),
        (directory.TensorboardLogs, aioflyte.FlyteDirectory["tensorboard"]),
    ]
    assert [(a, b) for a, b in same if a is not b] == []


def test_named_formats_have_flytekits_extensions():
    from aioflyte.types import directory, file

    # taken from flytekit 1.16.31: <Class>.extension()
    assert {n: getattr(file, n).extension() for n in NAMES["aioflyte.types.file"] if n[0].isupper() and n.endswith(
        ("File", "Page", "Notebook")
    ) and n != "FlyteFile"} == {
        "CSVFile": "csv", "HDF5EncodedFile": "hdf5", "HTMLPage": "html", "JPEGImageFile": "jpeg",
        "JSONLFile": "jsonl", "JoblibSerializedFile": "joblib", "ONNXFile": "onnx", "PDFFile": "pdf",
        "PNGImageFile": "png", "PythonNotebook": "ipynb", "PythonPickledFile": "python_pickle",
        "SVGImageFile": "svg", "TFRecordFile": "tfrecord",
    }  # fmt: skip
    assert directory.TFRecordsDirectory.extension() == "tfrecords_dir"
    assert aioflyte.FlyteFile[typing.Annotated[str, file.FileExt("tar.gz")]].extension() == "tar.gz"
    assert aioflyte.TypeEngine.to_literal_type(file.PythonPickledFile).blob.format == "python_pickle"
    with pytest.raises(ValueError, match="must be of type <str>"):
        file.FileExt.check_and_convert_to_str(typing.Annotated[int, file.FileExt("x")])


def test_structured_dataset_helpers():
    from flyteidl.core import types_pb2

    from aioflyte.types.structured import structured_dataset as sd

    column = types_pb2.SchemaType.SchemaColumn
    assert sd.convert_schema_type_to_structured_dataset_type(column.DURATION) == types_pb2.DURATION
    with pytest.raises(AssertionError, match="Unrecognized"):
        sd.convert_schema_type_to_structured_dataset_type(99)
    assert sd.flatten_dict({"a": {"b": int}, "c": str}) == {"a.b": int, "c": str}
    pytest.importorskip("numpy")
    import numpy as np

    supported = sd.get_supported_types()
    assert supported[np.int64].simple == types_pb2.INTEGER and supported[str].simple == types_pb2.STRING
    assert sd.MESSAGEPACK == "msgpack"


def test_registering_the_builtin_handlers_by_hand():
    pd = pytest.importorskip("pandas")
    from aioflyte.types import structured

    structured.register_pandas_handlers()
    structured.register_csv_handlers()
    structured.lazy_import_structured_dataset_handler()
    encoders = structured.StructuredDatasetTransformerEngine.ENCODERS[pd.DataFrame]
    assert {"parquet", "csv"} <= {fmt for formats in encoders.values() for fmt in formats}
