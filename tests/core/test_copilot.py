"""Flyte's raw-container protocol at the literal level (``aioflyte.core.copilot``): values written as Go writes them
(propeller's templates, copilot's files), outputs parsed as copilot parses them, container paths rewritten."""

from __future__ import annotations

import datetime

import pytest

from aioflyte.core import copilot


@pytest.mark.parametrize(
    "x,v,f",
    [
        (1.0, "1", "1"),
        (2.5, "2.5", "2.5"),
        (1e6, "1e+06", "1000000"),
        (123456.0, "123456", "123456"),
        (1234567.0, "1.234567e+06", "1234567"),
        (0.0001, "0.0001", "0.0001"),
        (0.00001, "1e-05", "0.00001"),
        (-0.5, "-0.5", "-0.5"),
        (0.1 + 0.2, "0.30000000000000004", "0.30000000000000004"),
        (float("inf"), "+Inf", "+Inf"),
    ],
)
def test_floats_are_written_as_go_writes_them(x, v, f):
    assert copilot.go_float_v(x) == v  # propeller's {{.inputs.x}}
    assert copilot.go_float_f(x) == f  # copilot's files


@pytest.mark.parametrize(
    "ns,text",
    [(0, "0s"), (1500, "1.5µs"), (250_000_000, "250ms"), (90 * 10**9, "1m30s"), (3600 * 10**9, "1h0m0s")],
)
def test_durations_are_written_and_read_as_go_does(ns, text):
    assert copilot.go_duration(ns) == text
    assert copilot.parse_duration(text) == datetime.timedelta(microseconds=ns / 1000)


def test_durations_read_pythons_form_too_and_reject_nonsense():
    assert copilot.parse_duration("1 day, 2:03:04.5") == datetime.timedelta(days=1, hours=2, minutes=3, seconds=4.5)
    assert copilot.parse_duration("-1.5h") == -datetime.timedelta(hours=1.5)
    with pytest.raises(ValueError, match=r"not a duration"):
        copilot.parse_duration("soon")


def test_container_paths_are_rewritten_only_where_they_start_a_path():
    m = {"/var/inputs": "/tmp/i", "/var/outputs": "/tmp/o"}
    got = copilot.rewrite_paths(
        ["cat /var/inputs/a > /var/outputs/b", "/var/inputsx", "x/var/inputs", "/var/outputs"], m
    )
    assert got == ["cat /tmp/i/a > /tmp/o/b", "/var/inputsx", "x/var/inputs", "/tmp/o"]


def test_a_template_naming_a_missing_input_is_a_clear_error():
    from flyteidl.core import literals_pb2

    with pytest.raises(copilot.ContainerProtocolError, match=r"refers to input 'y'.*inputs: none"):
        copilot.render(["{{.inputs.y}}"], literals_pb2.LiteralMap(), "ContainerTask 't'")


async def test_outputs_are_trimmed_and_parsed_as_copilot_parses_them(tmp_path):
    from flyteidl.core import types_pb2

    st = types_pb2.SimpleType
    files = {"b": "False\n", "t": "1", "s": "  padded \n", "x": "2.5e3", "d": "2024-01-02T03:04:05+01:00"}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    types = {"b": st.BOOLEAN, "t": st.BOOLEAN, "s": st.STRING, "x": st.FLOAT, "d": st.DATETIME}

    async def store(path, name, is_dir):
        raise AssertionError("no blobs here")

    lm = await copilot.read_outputs(
        {k: types_pb2.LiteralType(simple=v) for k, v in types.items()}, str(tmp_path), store, "t"
    )
    p = {k: v.scalar.primitive for k, v in lm.literals.items()}
    assert p["b"].boolean is False and p["t"].boolean is True
    assert p["s"].string_value == "padded" and p["x"].float_value == 2500.0
    assert p["d"].datetime.seconds == int(
        datetime.datetime(2024, 1, 2, 2, 4, 5, tzinfo=datetime.timezone.utc).timestamp()
    )
    (tmp_path / "b").write_text("yes")
    with pytest.raises(copilot.ContainerProtocolError, match=r"output 'b' expected BOOLEAN.*'yes'"):
        await copilot.read_outputs({"b": types_pb2.LiteralType(simple=st.BOOLEAN)}, str(tmp_path), store, "t")
    (tmp_path / "big").write_text("1" * 2000)
    with pytest.raises(copilot.ContainerProtocolError, match="at most 1024 bytes"):
        await copilot.read_outputs({"big": types_pb2.LiteralType(simple=st.INTEGER)}, str(tmp_path), store, "t")
    lt = types_pb2.LiteralType(collection_type=types_pb2.LiteralType(simple=st.INTEGER))
    with pytest.raises(copilot.ContainerProtocolError, match=r"outputs are values .* collection_type"):
        await copilot.read_outputs({"xs": lt}, str(tmp_path), store, "t")
