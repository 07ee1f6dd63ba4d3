"""flytekit's exception modules under aioflyte (``aioflyte.exceptions.user``, ``.system``, ``.scopes``): the names,
the bases flytekit gives them, and that ``except`` clauses written against them catch what aioflyte raises."""

from __future__ import annotations

import asyncio
import dataclasses
import warnings

import pytest

import aioflyte
import aioflyte.exceptions as E
from aioflyte.exceptions import scopes, system, user

# Taken from flytekit 1.16.31: dir() of each module, the public classes and functions it defines.
USER_NAMES = [
    "FlyteAssertion", "FlyteAuthenticationException", "FlyteCompilationException", "FlyteDataNotFoundException",
    "FlyteDisapprovalException", "FlyteEntityAlreadyExistsException", "FlyteEntityNotExistException",
    "FlyteEntityNotFoundException", "FlyteFailureNodeInputMismatchException", "FlyteInvalidInputException",
    "FlyteMissingReturnValueException", "FlyteMissingTypeException", "FlytePromiseAttributeResolveException",
    "FlyteRecoverableException", "FlyteTimeout", "FlyteTypeException", "FlyteUserException",
    "FlyteUserRuntimeException", "FlyteValidationException", "FlyteValueException",
]  # fmt: skip
SYSTEM_NAMES = [
    "FlyteAgentNotFound", "FlyteConnectorNotFound",
    "FlyteDownloadDataException", "FlyteEntrypointNotLoadable", "FlyteException", "FlyteNonRecoverableSystemException",
    "FlyteNotImplementedException", "FlyteSystemAssertion", "FlyteSystemException", "FlyteSystemUnavailableException",
    "FlyteUploadDataException",
]  # fmt: skip
SCOPES_NAMES = [
    "FlyteScopedException", "FlyteScopedSystemException", "FlyteScopedUserException", "system_entry_point",
    "user_entry_point",
]  # fmt: skip


@pytest.mark.parametrize(("module", "names"), [(user, USER_NAMES), (system, SYSTEM_NAMES), (scopes, SCOPES_NAMES)])
def test_every_flytekit_name_is_there(module, names):
    assert [n for n in names if not hasattr(module, n)] == []
    assert sorted(module.__all__) == sorted(names)


def test_the_names_are_aioflytes_own_classes():
    for name in USER_NAMES + SYSTEM_NAMES:
        cls = getattr(user, name, None) or getattr(system, name)
        assert cls.__module__ == "aioflyte.exceptions", name
    assert user.FlyteDataNotFoundException is E.FlyteDataNotFoundError
    assert user.FlyteDisapprovalException is E.GateRejected
    assert user.FlyteRecoverableException is aioflyte.FlyteRecoverableException
    assert user.FlyteTimeout is aioflyte.FlyteTimeout


@pytest.mark.parametrize(
    ("name", "bases"),
    [  # flytekit 1.16.31's bases, then the built-in ones aioflyte adds
        ("FlyteUserException", (E.FlyteException,)),
        ("FlyteAssertion", (E.FlyteUserException, AssertionError)),
        ("FlyteValidationException", (E.FlyteAssertion, ValueError)),
        ("FlyteFailureNodeInputMismatchException", (E.FlyteAssertion,)),
        ("FlyteDisapprovalException", (E.FlyteAssertion,)),
        ("FlyteEntityAlreadyExistsException", (E.FlyteAssertion,)),
        ("FlyteEntityNotExistException", (E.FlyteAssertion, LookupError)),
        ("FlyteAuthenticationException", (E.FlyteAssertion, PermissionError)),
        ("FlytePromiseAttributeResolveException", (E.FlyteAssertion,)),
        ("FlyteTypeException", (E.FlyteUserException, TypeError)),
        ("FlyteValueException", (E.FlyteUserException, ValueError)),
        ("FlyteDataNotFoundException", (E.FlyteValueException, FileNotFoundError)),
        ("FlyteEntityNotFoundException", (E.FlyteValueException,)),
        ("FlyteInvalidInputException", (E.FlyteUserException, ValueError)),
        ("FlyteCompilationException", (E.FlyteUserException,)),
        ("FlyteMissingTypeException", (E.FlyteCompilationException,)),
        ("FlyteMissingReturnValueException", (E.FlyteCompilationException,)),
        ("FlyteRecoverableException", (E.FlyteUserException,)),
        ("FlyteUserRuntimeException", (E.FlyteException,)),
    ],
)
def test_user_exceptions_have_flytekits_bases(name, bases):
    cls = getattr(user, name)
    assert all(issubclass(cls, b) for b in bases), [b for b in bases if not issubclass(cls, b)]


@pytest.mark.parametrize(
    ("name", "bases", "code"),
    [
        ("FlyteSystemException", (E.FlyteException,), "SYSTEM:Unknown"),
        ("FlyteSystemUnavailableException", (E.FlyteSystemException,), "SYSTEM:Unavailable"),
        ("FlyteNotImplementedException", (E.FlyteSystemException, NotImplementedError), "SYSTEM:NotImplemented"),
        ("FlyteEntrypointNotLoadable", (E.FlyteSystemException,), "SYSTEM:UnloadableCode"),
        ("FlyteSystemAssertion", (E.FlyteSystemException, AssertionError), "SYSTEM:AssertionError"),
        ("FlyteConnectorNotFound", (E.FlyteSystemException, AssertionError), "SYSTEM:ConnectorNotFound"),
        ("FlyteAgentNotFound", (E.FlyteSystemException, AssertionError), "SYSTEM:AgentNotFound"),
        ("FlyteDownloadDataException", (E.FlyteSystemException, OSError), "SYSTEM:DownloadDataError"),
        ("FlyteUploadDataException", (E.FlyteSystemException, OSError), "SYSTEM:UploadDataError"),
        ("FlyteNonRecoverableSystemException", (E.FlyteException,), "USER:NonRecoverableSystemError"),
    ],
)
def test_system_exceptions_have_flytekits_bases_and_codes(name, bases, code):
    cls = getattr(system, name)
    assert all(issubclass(cls, b) for b in bases)
    assert cls.error_code == code


def test_error_codes_are_flytekits_on_the_class_and_on_instances():
    assert user.FlyteAssertion.error_code == "USER:AssertionError"
    assert user.FlyteValidationException.error_code == "USER:ValidationError"
    assert user.FlyteTimeout.error_code == "USER:Timeout"
    assert user.FlyteUserRuntimeException(ValueError("v")).error_code == "USER:RuntimeError"
    assert user.FlyteValueException(3, "bad").error_code == "USER:ValueError"
    assert system.FlyteException("x", timestamp=12.5).timestamp == 12.5


def test_constructors_take_flytekits_arguments():
    e = user.FlyteTypeException(str, int, "extra", "v")
    assert str(e) == "Type error!  Received: <class 'str'> with value: v, Expected: <class 'int'>. extra"
    assert (e.expected, e.actual) == (int, str)
    assert str(user.FlyteValueException(3, "bad")) == "Value error!  Received: 3. bad"
    assert str(user.FlyteValueException("just a message")) == "just a message"

    def f(a): ...

    c = user.FlyteCompilationException(f, "a")
    assert (c.fn, c.param_name) == (f, "a")
    nf = user.FlyteEntityNotFoundException("mod", "ent")
    assert (nf.module_name, nf.entity_name) == ("mod", "ent") and "'ent'" in str(nf)
    wrapped = ValueError("v")
    assert system.FlyteNonRecoverableSystemException(wrapped).value is wrapped
    assert "'t' in 'm'" in str(system.FlyteEntrypointNotLoadable("m", "t", "more"))


def test_except_clauses_catch_what_aioflyte_raises_when_declaring_entities():
    with pytest.raises(user.FlyteAssertion):  # flytekit's FlyteValidationException is a FlyteAssertion

        @aioflyte.task(retires=3)
        def t(x: int) -> int:
            return x

    with pytest.raises(user.FlyteMissingTypeException, match="no type annotation"):

        @aioflyte.task
        def untyped(x) -> int:
            return x

    @aioflyte.task
    def handler(y: int) -> None: ...

    @aioflyte.task
    def body(x: int) -> int:
        return x

    with pytest.raises(user.FlyteFailureNodeInputMismatchException, match="on_failure"):

        @aioflyte.workflow(on_failure=handler)
        def wf(x: int) -> int:
            return body(x=x)

        wf.compile()


async def test_except_clauses_catch_what_aioflyte_raises_when_running():
    @dataclasses.dataclass
    class Out:
        a: dict[str, int]

    @aioflyte.task
    def make() -> Out:
        return Out(a={"k": 1})

    @aioflyte.task
    def use(v: int) -> int:
        return v

    @aioflyte.workflow
    def wf() -> int:
        return use(v=make().a["missing"])

    with pytest.raises(user.FlytePromiseAttributeResolveException, match="missing"):
        await wf()

    from aioflyte.io import FileAccessProvider

    with pytest.raises(user.FlyteValueException):  # a missing object is a FlyteDataNotFoundException
        await FileAccessProvider().get_bytes("/nonexistent/aioflyte/object")


def test_scope_decorators_call_through_and_warn():
    @scopes.user_entry_point
    def f(x: int) -> int:
        return x + 1

    @scopes.system_entry_point
    async def g(x: int) -> int:
        return x * 2

    with pytest.warns(DeprecationWarning):
        assert f(1) == 2
    with pytest.warns(DeprecationWarning):
        assert asyncio.run(g(2)) == 4
    assert f.__name__ == "f" and g.__name__ == "g"
    with pytest.raises(ZeroDivisionError), warnings.catch_warnings():  # errors pass through unwrapped
        warnings.simplefilter("ignore", DeprecationWarning)
        scopes.user_entry_point(lambda: 1 / 0)()


def test_scoped_exceptions_expose_the_wrapped_error():
    from flyteidl.core import errors_pb2

    try:
        raise user.FlyteRecoverableException("again")
    except user.FlyteRecoverableException as e:
        inner = scopes.FlyteScopedUserException(type(e), e, e.__traceback__)
    outer = scopes.FlyteScopedSystemException(type(inner), inner, None)
    assert outer.value is inner.value and outer.type is user.FlyteRecoverableException
    assert outer.error_code == "USER:Recoverable" and str(outer) == "again"
    assert outer.kind == errors_pb2.ContainerError.RECOVERABLE
    assert "FlyteRecoverableException: again" in inner.verbose_message
    plain = scopes.FlyteScopedUserException(ValueError, ValueError("v"), None)
    assert plain.error_code == "USER:Unknown" and plain.kind == errors_pb2.ContainerError.NON_RECOVERABLE


async def test_missing_data_is_not_mistaken_for_a_union_variant_mismatch():
    """FlyteDataNotFoundException is a ValueError now (as in flytekit): a union still reports the missing data."""
    from aioflyte.types.engine import TypeEngine

    with pytest.raises(user.FlyteDataNotFoundException, match="no such file"):
        await TypeEngine.to_literal(None, aioflyte.FlyteFile("/nonexistent/x.txt"), aioflyte.FlyteFile | None)
