"""Transformers written for flytekit (issue 12 §2) register with ``TypeEngine.register`` and work everywhere.

flytekit 1.16 (checked with flytekit 1.16.31): ``TypeTransformer.to_literal`` / ``to_python_value`` are sync and
take and return model objects (``flytekit.models.literals.Literal``, with ``to_flyte_idl()``), get the current
``FlyteContext``, and are called after ``assert_type``; ``AsyncTypeTransformer`` defines ``async_to_literal`` /
``async_to_python_value`` instead. ``TypeEngine.to_literal(ctx, v, t, expected)`` and
``TypeEngine.to_python_value(ctx, lv, t)`` are sync, ``TypeEngine.async_to_literal`` / ``async_to_python_value``
their async forms; a transformer's ``to_literal`` is sync on every transformer (the built-ins included).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import typing
from pathlib import Path

import fk_style_types as fk
import pytest
from flyteidl.core import literals_pb2, types_pb2

from aioflyte.types import TypeEngine, TypeTransformer, TypeTransformerFailedError, _compat

HERE = Path(__file__).parent
STRING = types_pb2.LiteralType(simple=types_pb2.STRING)


def _money_literal(text: str) -> literals_pb2.Literal:
    return literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(string_value=text)))


async def test_sync_transformer_in_tasks_and_workflows_runs_off_the_loop_with_a_context() -> None:
    fk.CALLS.clear()
    assert await fk.double_money(cents=21) == fk.Money(42)
    assert await fk.make_money(cents=3) == fk.Money(3)
    assert fk.CALLS, "the transformer was never called"
    for method, ctx, on_loop, arg in fk.CALLS:
        assert ctx == "FlyteContext", (method, ctx)  # the engine passes no context: the current one is given
        assert on_loop is False, method  # a worker thread, never the loop's
        # flytekit's model classes (aioflyte.models), as flytekit hands them
        assert arg == (
            "aioflyte.models.types.LiteralType" if method == "to_literal" else "aioflyte.models.literals.Literal"
        )


def test_engine_sync_forms_outside_a_loop_return_values() -> None:
    """flytekit's sync signatures, called from sync code (no loop anywhere)."""
    lt = TypeEngine.to_literal_type(fk.Money)
    assert lt == STRING  # the model object get_literal_type returned, as its message
    lit = TypeEngine.to_literal(None, fk.Money(150), fk.Money, lt)
    assert _compat.idl_literal(lit) == _money_literal("150c")
    assert TypeEngine.to_python_value(None, lit, fk.Money) == fk.Money(150)
    # the built-in transformers too: the engine's, and each transformer's own to_literal
    assert _compat.idl_literal(TypeEngine.to_literal(None, [1, 2], list[int], None)).collection.literals[1] == (
        literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(integer=2)))
    )
    int_tr = TypeEngine.get_transformer(int)
    one = int_tr.to_literal(None, 1, int, TypeEngine.to_literal_type(int))
    assert _compat.idl_literal(one).scalar.primitive.integer == 1
    assert int_tr.to_python_value(None, one, int) == 1
    lm = TypeEngine.dict_to_literal_map(None, {"a": fk.Money(5), "b": "x"}, {"a": fk.Money, "b": str})
    assert TypeEngine.literal_map_to_kwargs(None, lm, {"a": fk.Money, "b": str}) == {"a": fk.Money(5), "b": "x"}


async def test_engine_forms_on_a_loop_are_awaitable() -> None:
    """On a loop's thread the sync names return coroutines (aioflyte's form); the async names are flytekit's."""
    lit = await TypeEngine.to_literal(None, fk.Money(7), fk.Money)
    assert lit == _money_literal("7c")
    assert await TypeEngine.async_to_python_value(None, lit, fk.Money) == fk.Money(7)
    assert await TypeEngine.async_to_literal(None, fk.Money(8), fk.Money) == _money_literal("8c")
    assert await TypeEngine.to_python_value(None, _money_literal("9c"), fk.Money) == fk.Money(9)
    assert await TypeEngine.get_transformer(fk.Money).async_to_literal(None, fk.Money(1), fk.Money, STRING) is not None
    assert (
        await TypeEngine.get_transformer(str).to_literal(None, "s", str, STRING)
    ).scalar.primitive.string_value == "s"
    lm = await TypeEngine.dict_to_literal_map_pb(None, {"m": fk.Money(2)}, {"m": fk.Money})
    assert await TypeEngine.literal_map_to_kwargs(None, lm, {"m": fk.Money}) == {"m": fk.Money(2)}


def test_flytekit_style_code_gets_model_objects_where_there_are_model_classes(monkeypatch) -> None:
    """The adapter point: a literal handed to a flytekit-style transformer is shown through the model class."""

    class LiteralModel:
        def __init__(self, pb: literals_pb2.Literal) -> None:
            self.pb = pb
            self.scalar = pb.scalar

        @classmethod
        def from_flyte_idl(cls, pb: literals_pb2.Literal) -> LiteralModel:
            return cls(pb)

        def to_flyte_idl(self) -> literals_pb2.Literal:
            return self.pb

    monkeypatch.setitem(_compat._MODELS, literals_pb2.Literal, LiteralModel)
    fk.CALLS.clear()
    assert TypeEngine.to_python_value(None, _money_literal("4c"), fk.Money) == fk.Money(4)
    assert fk.CALLS[-1][3].endswith(".LiteralModel")
    lit = TypeEngine.to_literal(None, fk.Money(4), fk.Money, None)  # the sync form returns the model object
    assert isinstance(lit, LiteralModel) and lit.pb == _money_literal("4c")
    assert TypeEngine.to_python_value(None, lit, fk.Money) == fk.Money(4)  # and takes one back


def test_the_sync_forms_give_and_take_flytekits_model_objects() -> None:
    """flytekit's ``TypeEngine.to_literal`` returns a ``flytekit.models.literals.Literal``: aioflyte's model class."""
    from aioflyte.models.literals import Literal, LiteralMap

    lit = TypeEngine.to_literal(None, 3, int, None)
    assert isinstance(lit, Literal) and lit.scalar.primitive.integer == 3 and lit.scalar.union is None
    assert TypeEngine.to_python_value(None, lit, int) == 3
    lm = TypeEngine.dict_to_literal_map(None, {"a": [1]}, {"a": list[int]})
    assert isinstance(lm, LiteralMap) and TypeEngine.literal_map_to_kwargs(None, lm, {"a": list[int]}) == {"a": [1]}


async def test_a_sync_transformer_may_call_the_engine_sync_for_io() -> None:
    """Its own ``TypeEngine.to_literal`` (an upload) and ``FlyteFile.download`` run on the calling loop."""
    out = await fk.bundle_round_trip(text="hello")
    assert out == "hello!:True"


async def test_a_sync_transformer_may_read_a_dataset_sync() -> None:
    import pandas as pd

    from aioflyte import map_task, task

    @task
    async def table(n: int) -> fk.Table:
        return fk.Table(pd.DataFrame({"a": list(range(n))}))

    @task
    def total(t: fk.Table) -> int:
        return int(t.df["a"].sum())

    assert await total(t=await table(n=5)) == 10
    assert await map_task(fk.make_money)(cents=[1, 2]) == [fk.Money(1), fk.Money(2)]  # map tasks too


async def test_a_transformer_moving_data_with_ctx_file_access() -> None:
    """flytekit's transformers store their data with ``ctx.file_access`` (``put_raw_data``, ``get_data``)."""
    assert await fk.notes_flow(text="hello") == "HELLO"
    lit = await TypeEngine.async_to_literal(None, fk.Notes("kept"), fk.Notes)
    assert lit.scalar.blob.metadata.type.format == "notes"
    assert os.path.dirname(os.path.dirname(lit.scalar.blob.uri)) == os.path.join(os.environ["AIOFLYTE_HOME"], "raw")
    assert (await TypeEngine.async_to_python_value(None, lit, fk.Notes)).text == "kept"


def test_a_sync_transformer_doing_io_from_plain_sync_code(tmp_path: Path) -> None:
    p = tmp_path / "b.txt"
    p.write_text("plain")
    lit = _compat.idl_literal(TypeEngine.to_literal(None, fk.Bundle(str(p)), fk.Bundle, None))
    assert lit.scalar.blob.uri and lit.scalar.blob.uri != str(p)  # uploaded under the raw output prefix
    back = TypeEngine.to_python_value(None, lit, fk.Bundle)
    assert Path(back.path).read_text() == "plain"


async def test_async_flytekit_transformer_runs_on_the_loop_with_a_context() -> None:
    fk.CALLS.clear()
    assert await TypeEngine.async_to_literal(None, fk.Tag("x"), fk.Tag) == _money_literal("#x")
    assert fk.CALLS == [("async_to_literal", "FlyteContext", True, "aioflyte.models.types.LiteralType")]
    tr = TypeEngine.get_transformer(fk.Tag)
    assert tr.is_async and not TypeEngine.get_transformer(fk.Money).is_async
    back = await TypeEngine.async_to_python_value(None, _money_literal("#y"), fk.Tag)
    assert back.s == "y"


def test_async_flytekit_transformer_sync_form_from_a_thread() -> None:
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(TypeEngine.to_literal(None, fk.Tag("t"), fk.Tag, None)))
    thread.start()
    thread.join()
    assert _compat.idl_literal(result[0]) == _money_literal("#t")


async def test_values_are_checked_before_a_flytekit_transformer_sees_them() -> None:
    """flytekit calls ``assert_type`` first: a wrong value never reaches the transformer."""
    fk.CALLS.clear()
    with pytest.raises(TypeTransformerFailedError, match="expected Money, got str"):
        await TypeEngine.async_to_literal(None, "12c", fk.Money)
    with pytest.raises(TypeTransformerFailedError, match="got None"):
        await TypeEngine.async_to_literal(None, None, fk.Money)
    assert fk.CALLS == []


async def test_a_transformer_returning_something_else_is_named() -> None:
    class Odd:
        pass

    class OddTransformer(fk.MoneyTransformer):
        def __init__(self) -> None:
            super(fk.MoneyTransformer, self).__init__("Odd", Odd)

        def to_literal(self, ctx, python_val, python_type, expected):  # type: ignore[no-untyped-def]
            return "not a literal"

    TypeEngine.register(OddTransformer())
    with pytest.raises(TypeTransformerFailedError, match=r"OddTransformer.to_literal's result must be a flyteidl"):
        await TypeEngine.async_to_literal(None, Odd(), Odd)


@pytest.mark.slow
def test_the_entrypoint_runs_a_task_with_flytekit_transformers(tmp_path: Path) -> None:
    """Inputs and outputs of the container entrypoint go through the registered flytekit-style transformer."""
    lm = TypeEngine.dict_to_literal_map(None, {"a": fk.Money(40), "b": fk.Money(2)}, {"a": fk.Money, "b": fk.Money})
    (tmp_path / "inputs.pb").write_bytes(_compat.idl_literal_map(lm).SerializeToString())
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH")) if p)}
    cmd = [sys.executable, "-m", "aioflyte.entrypoint", "--inputs", str(tmp_path / "inputs.pb")]
    cmd += ["--output-prefix", str(tmp_path / "out"), "--raw-output-data-prefix", str(tmp_path / "raw")]
    cmd += ["--resolver", "aioflyte.entrypoint.default_resolver", "--"]
    cmd += ["task-module", "fk_style_types", "task-name", "add_money"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stderr
    out = literals_pb2.LiteralMap.FromString((tmp_path / "out" / "outputs.pb").read_bytes())
    assert out.literals["o0"] == _money_literal("42c")


@pytest.mark.slow
async def test_the_remote_executes_with_flytekit_transformers(tmp_path: Path) -> None:
    from servers import fresh_project, task_env

    from aioflyte.configuration.config import Config
    from aioflyte.remote.client import AdminClient
    from aioflyte.remote.remote import FlyteRemote
    from aioflyte.server.testing import ServerProcess

    async with ServerProcess(tmp_path / "state", env=task_env(HERE)) as server:
        async with AdminClient(server.endpoint) as admin:
            project = await fresh_project(admin)
        config = Config.for_endpoint(server.endpoint, insecure=True)
        async with FlyteRemote(config, project, "development") as remote:
            ex = await remote.execute(
                fk.add_money, inputs={"a": fk.Money(1), "b": fk.Money(2)}, version="v1", wait=True
            )
            assert ex.is_successful, ex.error
            assert ex.outputs["o0"] == fk.Money(3)
            assert ex.inputs == {"a": fk.Money(1), "b": fk.Money(2)}


def test_sync_forms_still_refuse_nothing_on_a_thread_without_a_loop_inside_a_running_program() -> None:
    """A sync call from a thread while another thread runs a loop: no loop on this thread, so it is sync."""

    async def main() -> object:
        return await asyncio.to_thread(TypeEngine.to_python_value, None, _money_literal("6c"), fk.Money)

    assert asyncio.run(main()) == fk.Money(6)


class Word:
    def __init__(self, s: str) -> None:
        self.s = s


class WordTransformer(TypeTransformer[Word]):
    """aioflyte's form."""

    def __init__(self) -> None:
        super().__init__("Word", Word)

    def get_literal_type(self, t: object) -> types_pb2.LiteralType:
        return STRING

    async def to_literal(self, ctx, python_val, python_type, expected):  # type: ignore[no-untyped-def]
        return _money_literal(python_val.s)

    async def to_python_value(self, ctx, lv, expected_python_type):  # type: ignore[no-untyped-def]
        return Word(lv.scalar.primitive.string_value)


class Polite(Word):
    pass


class PoliteTransformer(WordTransformer):
    """aioflyte's form, over its parent's through ``super()``."""

    def __init__(self) -> None:
        TypeTransformer.__init__(self, "Polite", Polite)

    async def to_literal(self, ctx, python_val, python_type, expected):  # type: ignore[no-untyped-def]
        lit = await super().to_literal(ctx, python_val, python_type, expected)
        return _money_literal(lit.scalar.primitive.string_value + ", please")


class Loud(Word):
    pass


class LoudTransformer(WordTransformer):
    """flytekit's sync form, over an async parent through ``super()`` (from its worker thread)."""

    def __init__(self) -> None:
        TypeTransformer.__init__(self, "Loud", Loud)

    def to_literal(self, ctx, python_val, python_type, expected):  # type: ignore[no-untyped-def]
        lit = super().to_literal(ctx, python_val, python_type, expected)
        return _money_literal(lit.scalar.primitive.string_value.upper() + "!")


TypeEngine.register(PoliteTransformer())
TypeEngine.register(LoudTransformer())


async def test_subclasses_reach_their_parents_conversion_through_super() -> None:
    assert (await TypeEngine.async_to_literal(None, Polite("tea"), Polite)) == _money_literal("tea, please")
    assert (await TypeEngine.async_to_literal(None, Loud("tea"), Loud)) == _money_literal("TEA!")
    assert TypeEngine.get_transformer(Loud).is_async is False
    back = await TypeEngine.async_to_python_value(None, _money_literal("x"), Loud)  # the parent's, async
    assert type(back) is Word and back.s == "x"


class Pin:
    pass


class PinTransformer(TypeTransformer[Pin]):
    """flytekit's form, with a literal type of its own that it recognises when guessing."""

    def __init__(self) -> None:
        super().__init__("Pin", Pin)

    def get_literal_type(self, t: object) -> types_pb2.LiteralType:
        lt = types_pb2.LiteralType(simple=types_pb2.STRUCT)
        lt.metadata.update({"kind": "pin"})
        return lt

    def to_literal(self, ctx, python_val, python_type, expected):  # type: ignore[no-untyped-def]
        return _money_literal("pin")

    def to_python_value(self, ctx, lv, expected_python_type):  # type: ignore[no-untyped-def]
        return Pin()

    def guess_python_type(self, literal_type):  # type: ignore[no-untyped-def]
        if literal_type.metadata and literal_type.metadata.get("kind") == "pin":  # a model: metadata is a dict
            return Pin
        raise ValueError("not a pin")


TypeEngine.register(PinTransformer())


def test_registered_flytekit_transformers_are_asked_to_guess_with_model_objects() -> None:
    """flytekit asks every registered transformer (the built-ins first), with model objects."""
    assert TypeEngine.guess_python_type(TypeEngine.to_literal_type(Pin)) is Pin
    assert TypeEngine.guess_python_type(TypeEngine.to_literal_type(dict)) is dict  # the built-ins answer first


async def test_a_transformer_named_in_annotated_is_used() -> None:
    """flytekit: ``Annotated[T, SomeTransformer()]`` converts with that transformer."""

    class Cents(fk.MoneyTransformer):
        def to_literal(self, ctx, python_val, python_type, expected):  # type: ignore[no-untyped-def]
            return _money_literal(f"{python_val.cents} cents")

    t = typing.Annotated[fk.Money, Cents()]
    assert isinstance(TypeEngine.get_transformer(t), Cents)
    assert await TypeEngine.async_to_literal(None, fk.Money(5), t) == _money_literal("5 cents")
    assert await TypeEngine.async_to_literal(None, fk.Money(5), fk.Money) == _money_literal("5c")
