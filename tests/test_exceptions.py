"""Every user-facing exception lives in ``aioflyte.exceptions`` with flytekit's names and the bases its docstring
draws; the modules that raise them re-export the same classes (old import paths keep working)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import aioflyte.exceptions as E

PACKAGE = Path(E.__file__).resolve().parents[1]


def test_no_exception_class_is_defined_outside_the_home_except_internal_ones():
    """Classes deriving from an exception, anywhere in the package, are in aioflyte.exceptions, or are private to a
    layer that never lets them out (server-side gRPC answers, a container's failure record, a codec detail)."""
    internal = {
        ("server", "AdminError"), ("server", "InvalidArgument"), ("server", "NotFound"), ("server", "AlreadyExists"),
        ("server", "Internal"), ("server", "FailedPrecondition"), ("server", "InvalidToken"),
        ("server", "NodeFailed"), ("server", "BindingError"), ("server", "_Unchanged"),
        ("_entrypoint", "TaskFailure"), ("types", "CodecError"),
        ("engine", "DataGone"), ("engine", "CorruptEntry"), ("engine", "_RunnerGone"),  # the cache's own misses
        ("server", "MissingExecutable"),  # becomes the execution's SYSTEM:ExecutableNotFound error
        ("cli", "InputError"),  # becomes a click usage error naming the option
        ("server", "_Bad"),  # a console signal form's value not of the signal's type: a message on the page
    }  # fmt: skip
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path.parent.name == "exceptions" and path.parent.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                if any(b.endswith(("Error", "Exception", "Failure")) for b in bases):
                    layer = path.relative_to(PACKAGE).parts[0]
                    if (layer, node.name) not in internal:
                        found.append(f"{path.relative_to(PACKAGE)}: {node.name}")
    assert found == []


@pytest.mark.parametrize(
    ("name", "bases"),
    [
        ("FlyteValidationException", (E.FlyteUserException, ValueError)),
        ("FlyteAssertion", (E.FlyteUserException, AssertionError)),
        ("FlyteTypeException", (E.FlyteUserException, TypeError)),
        ("FlyteTimeout", (E.FlyteRecoverableException, TimeoutError)),
        ("FlyteCompileError", (E.FlyteValidationException,)),
        ("ConditionalCompileError", (E.FlyteCompileError, AssertionError)),
        ("ConditionalFailure", (E.FlyteUserException, ValueError)),
        ("NoBranchTakenError", (E.FlyteUserException, ValueError)),
        ("MapTaskFailure", (E.FlyteUserException,)),
        ("GateRejected", (E.FlyteUserException,)),
        ("FlyteGateTimeout", (E.FlyteUserException, TimeoutError)),
        ("TypeTransformerFailedError", (TypeError, AssertionError)),
        ("FlyteEntityNotExistException", (E.FlyteRemoteError, LookupError)),
        ("FlyteEntityExistsDifferentStructureException", (E.FlyteEntityAlreadyExistsException, ValueError)),
        ("FlyteAuthenticationException", (E.FlytePermissionDeniedException, PermissionError)),
        ("FlyteExecutionTimeoutError", (E.FlyteRemoteTimeoutException, TimeoutError)),
        ("FlyteRemoteExecutionFailed", (E.FlyteException,)),
        ("SerializationError", (ValueError,)),
    ],
)
def test_bases_are_the_ones_the_hierarchy_draws(name, bases):
    cls = getattr(E, name)
    assert all(issubclass(cls, b) for b in bases)
    assert name in E.__doc__


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("aioflyte.core.map_task", "MapTaskFailure"),
        ("aioflyte.core.gate", "GateRejected"),
        ("aioflyte.core.conditional", "ConditionalFailure"),
        ("aioflyte.core.promise", "FlyteCompileError"),
        ("aioflyte.engine.signals", "FlyteGateTimeout"),
        ("aioflyte.types.engine", "TypeTransformerFailedError"),
        ("aioflyte.types.structured", "DuplicateHandlerError"),
        ("aioflyte.remote.controller", "FlyteRemoteExecutionFailed"),
        ("aioflyte.remote.executions", "FlyteExecutionTimeoutError"),
        ("aioflyte.remote.client", "FlyteEntityNotExistException"),
        ("aioflyte.remote.client.exceptions", "FlyteRemoteError"),
        ("aioflyte.remote.client.auth", "FlyteAuthenticationException"),
        ("aioflyte.remote.translator.workflows", "SerializationError"),
        ("aioflyte.configuration", "ConfigurationError"),
        ("aioflyte.image_spec", "NoImageBuilderError"),
    ],
)
def test_the_raising_modules_re_export_the_same_class(module, name):
    assert getattr(importlib.import_module(module), name) is getattr(E, name)


def test_the_home_imports_nothing_of_aioflyte():
    tree = ast.parse((PACKAGE / "exceptions" / "__init__.py").read_text(encoding="utf-8"))
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [m for m in imported if m and m.startswith("aioflyte")]
