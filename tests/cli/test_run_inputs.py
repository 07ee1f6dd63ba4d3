"""``aioflyte run`` reads inputs as ``pyflyte run`` does (click.testing): JSON for nested lists, dicts and dataclasses,
ISO 8601 date-times and dates, durations in seconds, H:MM:SS or ISO 8601, enums by value, files and directories
by path (a missing one is a usage error), ``--inputs-file`` (YAML or JSON; the command line wins); and how a local
run shows itself: its id at once, a line per node (or a count for a map task's items), ``--quiet``, ``-e``."""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap

import pytest
from click.testing import CliRunner

from aioflyte.cli.main import main
from aioflyte.cli.progress import RunProgress

INPUTS = textwrap.dedent(
    """
    import dataclasses
    import datetime
    import enum
    import os

    from aioflyte import map_task, task, workflow
    from aioflyte.types.directory import FlyteDirectory
    from aioflyte.types.file import FlyteFile


    class Color(enum.Enum):
        RED = "red"
        BLUE = "blue"


    @dataclasses.dataclass
    class P:
        x: int
        y: int = 0


    @dataclasses.dataclass
    class Box:
        name: str
        points: list[P]


    @task
    def points(ps: list[P], by_name: dict[str, P] = {"a": P(1)}) -> str:
        assert all(isinstance(p, P) for p in ps) and all(isinstance(p, P) for p in by_name.values())
        return f"{sum(p.x + p.y for p in ps)} {sorted(by_name)}"


    @task
    def boxed(b: Box) -> str:
        return f"{b.name}:{[(p.x, p.y) for p in b.points]}"


    @task
    def when(t: datetime.datetime, d: datetime.date, gap: datetime.timedelta) -> str:
        return f"{t.isoformat()} {d.isoformat()} {gap.total_seconds():g}"


    @task
    def colour(c: Color = Color.RED) -> str:
        assert isinstance(c, Color)
        return c.name


    @task
    def read(f: FlyteFile) -> str:
        with open(f) as fh:
            return fh.read().strip()


    @task
    def count(d: FlyteDirectory) -> int:
        return len(os.listdir(d.download()))


    @task
    def env(name: str) -> str:
        return os.environ.get(name, "unset")


    @task
    def sq(x: int) -> int:
        return x * x


    @task
    def rng(n: int) -> list[int]:
        return list(range(n))


    @workflow
    def squares(n: int = 4) -> list[int]:
        return map_task(sq)(x=rng(n=n))
    """
)


@pytest.fixture
def inputs_file(tmp_path):
    path = tmp_path / "cli_inputs_mod.py"
    path.write_text(INPUTS)
    yield str(path)
    sys.modules.pop("cli_inputs_mod", None)
    if str(tmp_path) in sys.path:
        sys.path.remove(str(tmp_path))


def invoke(*args: str):
    return CliRunner().invoke(main, ["run", "-q", *args], catch_exceptions=False)


def test_nested_json_inputs(inputs_file):
    r = invoke(inputs_file, "points", "--ps", '[{"x": 1, "y": 2}, {"x": 3}]')
    assert r.exit_code == 0 and "6 ['a']" in r.stdout, r.output
    r = invoke(inputs_file, "points", "--ps", "[]", "--by_name", '{"k": {"x": 1}, "j": {"x": 2, "y": 1}}')
    assert r.exit_code == 0 and "0 ['j', 'k']" in r.stdout, r.output
    r = invoke(inputs_file, "boxed", "--b", '{"name": "bx", "points": [{"x": 1}, {"x": 2, "y": 3}]}')
    assert r.exit_code == 0 and "bx:[(1, 0), (2, 3)]" in r.stdout, r.output


def test_bad_json_names_the_field_and_the_type(inputs_file):
    r = invoke(inputs_file, "points", "--ps", '[{"x": 1, "z": 2}]')
    assert r.exit_code == 2 and "Invalid value for '--ps'" in r.output and "no field 'z'" in r.output
    r = invoke(inputs_file, "points", "--ps", '{"x": 1}')
    assert r.exit_code == 2 and "not a JSON list" in r.output
    r = invoke(inputs_file, "points", "--ps", '[{"x": "one"}]')
    assert r.exit_code == 2 and "'one' is not a int" in r.output and "[0].x" in r.output


def test_dates_and_durations(inputs_file):
    r = invoke(inputs_file, "when", "--t", "2026-01-02T03:04:05", "--d", "2026-01-03", "--gap", "90")
    assert r.exit_code == 0 and "2026-01-02T03:04:05+00:00 2026-01-03 90" in r.stdout, r.output
    r = invoke(inputs_file, "when", "--t", "2026-01-02T03:04:05+02:00", "--d", "2026-01-03", "--gap", "PT1H30M")
    assert r.exit_code == 0 and "2026-01-02T01:04:05+00:00 2026-01-03 5400" in r.stdout, r.output  # in UTC
    r = invoke(inputs_file, "when", "--t", "2026-01-02", "--d", "2026-01-03", "--gap", "1:00:30")
    assert r.exit_code == 0 and "2026-01-02T00:00:00+00:00 2026-01-03 3630" in r.stdout, r.output
    r = invoke(inputs_file, "when", "--t", "2026-01-02", "--d", "2026-01-03", "--gap", "10 minutes")
    assert r.exit_code == 0 and " 600" in r.stdout, r.output
    r = invoke(inputs_file, "when", "--t", "yesterday", "--d", "2026-01-03", "--gap", "1")
    assert r.exit_code == 2 and "Invalid value for '--t'" in r.output and "ISO 8601" in r.output
    r = invoke(inputs_file, "when", "--t", "2026-01-02", "--d", "2026-01-03", "--gap", "soon")
    assert r.exit_code == 2 and "Invalid value for '--gap'" in r.output and "not a duration" in r.output


def test_enums_by_value(inputs_file):
    assert "'BLUE'" in invoke(inputs_file, "colour", "--c", "blue").stdout
    assert "'RED'" in invoke(inputs_file, "colour").stdout  # the default, a member
    r = invoke(inputs_file, "colour", "--c", "BLUE")
    assert r.exit_code == 2 and "'BLUE' is not one of 'red', 'blue'" in r.output


def test_files_and_directories_by_path(inputs_file, tmp_path):
    (tmp_path / "data.txt").write_text("hello file\n")
    (tmp_path / "d").mkdir()
    for name in ("a", "b", "c"):
        (tmp_path / "d" / name).write_text(name)
    r = invoke(inputs_file, "read", "--f", str(tmp_path / "data.txt"))
    assert r.exit_code == 0 and "hello file" in r.stdout, r.output
    r = invoke(inputs_file, "count", "--d", str(tmp_path / "d"))
    assert r.exit_code == 0 and r.stdout.strip() == "3", r.output
    r = invoke(inputs_file, "read", "--f", str(tmp_path / "missing.txt"))
    assert r.exit_code == 2 and "Invalid value for '--f'" in r.output and "no such file" in r.output
    assert "Traceback" not in r.output
    r = invoke(inputs_file, "count", "--d", str(tmp_path / "nodir"))
    assert r.exit_code == 2 and "no such directory" in r.output


def test_inputs_file_yaml_and_json(inputs_file, tmp_path):
    (tmp_path / "in.yaml").write_text("t: 2026-01-02\nd: 2026-01-03\ngap: '1:00'\n")  # YAML's own dates too
    r = invoke(inputs_file, "when", "--inputs-file", str(tmp_path / "in.yaml"))
    assert r.exit_code == 0 and "2026-01-02T00:00:00+00:00 2026-01-03 60" in r.stdout, r.output
    r = invoke(inputs_file, "when", "--inputs-file", str(tmp_path / "in.yaml"), "--gap", "5")
    assert r.exit_code == 0 and " 5" in r.stdout and " 60" not in r.stdout, r.output  # the command line wins
    (tmp_path / "in.json").write_text(json.dumps({"ps": [{"x": 4, "y": 1}], "by_name": {"q": {"x": 0}}}))
    r = invoke(inputs_file, "points", "--inputs-file", str(tmp_path / "in.json"))
    assert r.exit_code == 0 and "5 ['q']" in r.stdout, r.output
    (tmp_path / "bad.yaml").write_text("nope: 1\n")
    r = invoke(inputs_file, "colour", "--inputs-file", str(tmp_path / "bad.yaml"))
    assert r.exit_code == 2 and "'nope', which is not an input" in r.output


def test_local_run_prints_its_id_and_nodes_unless_quiet(inputs_file):
    r = CliRunner().invoke(main, ["run", inputs_file, "squares", "--n", "30"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert r.stderr.startswith("Running execution ") and " locally" in r.stderr.splitlines()[0]
    assert "n0 rng: succeeded" in r.stderr and "sq: 30/30 done, 0 running, 0 failed" in r.stderr
    assert r.stderr.count("sq-") <= 2  # a map task's items are counted, not listed
    assert "841" in r.stdout
    r = CliRunner().invoke(main, ["run", "--quiet", inputs_file, "squares", "--n", "3"], catch_exceptions=False)
    assert r.exit_code == 0 and r.stderr == "" and "4" in r.stdout


def test_envvars_reach_a_local_run(inputs_file, monkeypatch):
    monkeypatch.delenv("CLI_RUN_ENV_PROBE", raising=False)
    r = CliRunner().invoke(main, ["run", "-q", "-e", "CLI_RUN_ENV_PROBE=yes", inputs_file, "env", "--name",
                                  "CLI_RUN_ENV_PROBE"])  # fmt: skip
    monkeypatch.delenv("CLI_RUN_ENV_PROBE", raising=False)
    assert r.exit_code == 0 and "'yes'" in r.stdout, r.output
    r = CliRunner().invoke(main, ["run", "-e", "NOEQUALS", inputs_file, "env", "--name", "x"])
    assert r.exit_code == 2 and "is not KEY=VALUE" in r.output


def test_live_view_renders_groups_with_bars(inputs_file):
    from rich.console import Console

    from aioflyte.cli.run import load_file

    mod = load_file(inputs_file)

    async def go() -> tuple[list[int], RunProgress]:
        handle = mod.squares.start(n=12)
        progress = RunProgress(handle, "state", "squares")  # neither plain lines nor a Live: only the counts
        return await handle, progress

    result, progress = asyncio.run(go())
    assert result == [i * i for i in range(12)] and progress.counts() == (14, 0, 0)
    console = Console(record=True, width=100)
    console.print(progress._render())
    text = console.export_text()
    assert "done 14 · running 0 · failed 0" in text and "sq" in text and "12/12" in text and "map sq" in text


def test_shell_completion_of_commands_and_a_files_entities(inputs_file):
    def complete(words: str, cword: int) -> str:
        env = {"_AIOFLYTE_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
        return CliRunner().invoke(main, [], prog_name="aioflyte", env=env).output

    assert "plain,get" in complete("aioflyte ge", 1)
    entities = complete(f"aioflyte run {inputs_file} ", 3)
    assert "plain,squares" in entities and "plain,points" in entities


DATAFRAMES = textwrap.dedent(
    """
    import pandas as pd

    from aioflyte import task
    from aioflyte.types.structured import StructuredDataset


    @task
    def total(df: pd.DataFrame) -> int:
        return int(df["a"].sum())


    @task
    def rows(sd: StructuredDataset) -> int:
        return len(sd.open(pd.DataFrame).all())
    """
)


def test_dataframe_inputs_from_parquet_and_csv_paths(tmp_path):
    import pandas as pd  # a dev dependency (the dataframe extra)

    mod = tmp_path / "cli_frames_mod.py"
    mod.write_text(DATAFRAMES)
    pd.DataFrame({"a": [1, 2, 3]}).to_csv(tmp_path / "d.csv", index=False)
    pd.DataFrame({"a": [4, 5]}).to_parquet(tmp_path / "d.parquet")
    try:
        assert invoke(str(mod), "total", "--df", str(tmp_path / "d.csv")).stdout.strip() == "6"
        assert invoke(str(mod), "total", "--df", str(tmp_path / "d.parquet")).stdout.strip() == "9"
        assert invoke(str(mod), "rows", "--sd", str(tmp_path / "d.csv")).stdout.strip() == "3"
        assert invoke(str(mod), "rows", "--sd", f"file://{tmp_path / 'd.parquet'}").stdout.strip() == "2"
        r = invoke(str(mod), "total", "--df", str(tmp_path / "nope.parquet"))
        assert r.exit_code == 2 and "Invalid value for '--df'" in r.output and "no such file or directory" in r.output
    finally:
        sys.modules.pop("cli_frames_mod", None)
        if str(tmp_path) in sys.path:
            sys.path.remove(str(tmp_path))
