"""``ContainerTask`` run by the local engine: real commands (``sh -c``, ``python -c``) through Flyte's raw-container
protocol as local processes, and the container-runtime path through a small fake runtime put first on PATH (no
container runtime works on the test machines): it records the argv the engine builds and runs the command with the
mounts applied, so the test checks the argv, not a mock of our code."""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import stat
import sys
import time
from pathlib import Path

import pytest

from aioflyte import ContainerTask, FlyteDirectory, FlyteFile, TaskMetadata, kwtypes, task, workflow
from aioflyte.core import copilot
from aioflyte.engine.containers import ContainerExitError
from aioflyte.exceptions import FlyteEntityNotCallable, FlyteValidationException

PY = sys.executable
pytestmark = pytest.mark.slow  # every test runs commands as subprocesses (or checks a constructor's errors)


@pytest.fixture
def local(monkeypatch):
    """No container runtime; every image runs as a local process."""
    monkeypatch.setenv("AIOFLYTE_CONTAINER_RUNTIME", "none")
    monkeypatch.setenv("AIOFLYTE_LOCAL_IMAGES", "*")


def sh(name: str, script: str, **kw) -> ContainerTask:
    return ContainerTask(
        name=name,
        image="alpine:3.19",
        input_data_dir="/var/inputs",
        output_data_dir="/var/outputs",
        command=["sh", "-c", script],
        **kw,
    )


square = sh(
    "square",
    "echo $(( {{.inputs.val}} * {{.inputs.val}} )) > /var/outputs/out",
    inputs=kwtypes(val=int),
    outputs=kwtypes(out=int),
)


async def test_a_shell_command_squares_its_templated_input(local):
    assert await square(val=7) == 49


async def test_every_simple_type_in_as_files_and_templates_and_out_parsed(local):
    script = (
        "import json, pathlib, sys\n"
        "i = pathlib.Path('/var/inputs'); o = pathlib.Path('/var/outputs')\n"
        "files = {n: (i / n).read_text() for n in ('n', 'x', 's', 'b', 'd', 'dur')}\n"
        "meta = json.loads((i / 'inputs.json').read_text())\n"
        "(o / 'files').write_text(json.dumps(files))\n"
        "(o / 'meta').write_text(json.dumps(meta))\n"
        "(o / 'argv').write_text(' '.join(sys.argv[1:]))\n"
        "(o / 'n2').write_text(str(int(files['n']) + 1) + '\\n')\n"
        "(o / 'ok').write_text('True')\n"
        "(o / 'when').write_text('2024-05-06T07:08:09.5Z')\n"
        "(o / 'took').write_text('1h30m')\n"
        "(o / 'obj').write_text('{\"a\": [1, 2]}')\n"
    )
    t = ContainerTask(
        name="types",
        image="python:3.11",
        input_data_dir="/var/inputs",
        output_data_dir="/var/outputs",
        command=[PY, "-c", script],
        arguments=["{{.inputs.n}}", "{{ .inputs.x }}", "{{.Inputs.b}}", "{{.inputs.d}}", "{{.inputs.dur}}"],
        inputs=kwtypes(n=int, x=float, s=str, b=bool, d=datetime.datetime, dur=datetime.timedelta),
        outputs=kwtypes(
            files=str, meta=str, argv=str, n2=int, ok=bool, when=datetime.datetime, took=datetime.timedelta, obj=dict
        ),
    )
    d = datetime.datetime(2024, 1, 2, 3, 4, 5, 250000)
    out = await t(n=41, x=1e7, s="hello world", b=True, d=d, dur=datetime.timedelta(minutes=90, seconds=1.5))
    files = json.loads(out.files)
    # copilot's files: Go's %v-free forms (no exponent for floats), RFC 3339 times, Go durations
    assert files == {
        "n": "41",
        "x": "10000000",
        "s": "hello world",
        "b": "true",
        "d": "2024-01-02T03:04:05.25Z",
        "dur": "1h30m1.5s",
    }
    assert json.loads(out.meta) == {
        "n": 41,
        "x": 1e7,
        "s": "hello world",
        "b": True,
        "d": "2024-01-02T03:04:05.25Z",
        "dur": 5401500000000,
    }
    # propeller's templates: Go's %v (an exponent from 1e6)
    assert out.argv == "41 1e+07 true 2024-01-02T03:04:05.25Z 1h30m1.5s"
    assert out.n2 == 42 and out.ok is True
    assert out.when == datetime.datetime(2024, 5, 6, 7, 8, 9, 500000, tzinfo=datetime.timezone.utc)
    assert out.took == datetime.timedelta(hours=1, minutes=30)
    assert out.obj == {"a": [1, 2]}


async def test_files_directories_and_lists_in_and_out(local, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("hello\n")
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "leaf.txt").write_text("leaf")
    t = sh(
        "files",
        "tr a-z A-Z < /var/inputs/infile > /var/outputs/upper"
        " && mkdir /var/outputs/folder && cp -r /var/inputs/nums /var/outputs/folder/nums"
        " && cp /var/inputs/tree/sub/leaf.txt /var/outputs/folder/"
        " && ls /var/inputs > /var/outputs/listing",
        inputs=kwtypes(infile=FlyteFile, nums=list[int], tree=FlyteDirectory),
        outputs=kwtypes(upper=FlyteFile, folder=FlyteDirectory, listing=str),
        metadata_format=ContainerTask.MetadataFormat.YAML,
    )
    out = await t(infile=FlyteFile(str(src)), nums=[3, 4], tree=FlyteDirectory(str(tree)))
    assert Path(await out.upper.adownload()).read_text() == "HELLO\n"
    folder = Path(await out.folder.adownload())
    assert sorted(p.name for p in (folder / "nums").iterdir()) == ["0", "1"]
    assert (folder / "nums" / "1").read_text() == "4"
    assert (folder / "leaf.txt").read_text() == "leaf"
    # one file per input, inputs.pb always, and the metadata file of the format (YAML here)
    assert out.listing.split() == ["infile", "inputs.pb", "inputs.yaml", "nums", "tree"]


async def test_proto_metadata_holds_the_inputs_with_blobs_at_their_copies(local, tmp_path):
    src = tmp_path / "a.txt"
    src.write_text("x")
    script = (
        "import sys; from flyteidl.core import literals_pb2\n"
        "lm = literals_pb2.LiteralMap.FromString(open('/var/inputs/inputs.pb', 'rb').read())\n"
        "open('/var/outputs/uri', 'w').write(lm.literals['f'].scalar.blob.uri)\n"
        "open('/var/outputs/k', 'w').write(str(lm.literals['k'].scalar.primitive.integer))\n"
    )
    t = ContainerTask(
        name="proto",
        image="python:3.11",
        command=[PY, "-c", script],
        input_data_dir="/var/inputs",
        output_data_dir="/var/outputs",
        inputs=kwtypes(f=FlyteFile, k=int),
        outputs=kwtypes(uri=str, k=int),
        metadata_format=ContainerTask.MetadataFormat.PROTO,
    )
    out = await t(f=FlyteFile(str(src)), k=5)
    assert out.k == 5
    assert out.uri.endswith("/inputs/f") and not out.uri.startswith("/var/inputs")  # the local copy


async def test_a_container_task_is_a_node_of_a_workflow(local):
    @task
    def plus_one(x: int) -> int:
        return x + 1

    @workflow
    def wf(v: int) -> int:
        return plus_one(x=square(val=v))

    assert await wf(v=5) == 26


async def test_the_error_file_fails_the_task_with_its_text(local):
    t = sh("fails", "echo 'bad input' > /var/outputs/_ERROR", outputs=kwtypes(out=int))
    with pytest.raises(copilot.ContainerUserError, match=r"fails.*bad input"):
        await t()


async def test_a_missing_or_unparsable_output_is_a_clear_error(local):
    with pytest.raises(copilot.ContainerProtocolError, match=r"output 'out' .* expected a file at .*found nothing"):
        await sh("silent", "true", outputs=kwtypes(out=int))()
    with pytest.raises(copilot.ContainerProtocolError, match=r"output 'out' expected INTEGER.*'seven'"):
        await sh("words", "echo seven > /var/outputs/out", outputs=kwtypes(out=int))()


async def test_a_non_zero_exit_is_retried_then_fails_with_the_output(local, tmp_path):
    count = tmp_path / "count"
    t = sh(
        "flaky",
        f"echo x >> {count}; echo 'went wrong' >&2; exit 3",
        outputs=kwtypes(out=int),
        metadata=TaskMetadata(retries=1),
    )
    with pytest.raises(ContainerExitError, match=r"exited with code 3(.|\n)*went wrong"):
        await t()
    assert count.read_text().count("x") == 2


async def test_without_runtime_an_undeclared_image_is_an_error_saying_how_to_fix_it(monkeypatch):
    monkeypatch.setenv("AIOFLYTE_CONTAINER_RUNTIME", "none")
    monkeypatch.setenv("AIOFLYTE_LOCAL_IMAGES", "python:*")
    with pytest.raises(FlyteEntityNotCallable) as e:
        await square(val=2)
    msg = str(e.value)
    assert "'square'" in msg and "alpine:3.19" in msg
    assert "AIOFLYTE_LOCAL_IMAGES=alpine:3.19" in msg and "AIOFLYTE_CONTAINER_RUNTIME" in msg
    monkeypatch.setenv("AIOFLYTE_LOCAL_IMAGES", "python:*, alpine:*")
    assert await square(val=2) == 4


async def test_cancelling_kills_the_process_group_and_leaves_no_outputs(local, tmp_path):
    marker = tmp_path / "started"
    t = sh(
        "slow",
        f"sleep 300 & echo $! > {marker}.child; echo 1 > /var/outputs/out; pwd > {marker}.tmp;"
        f" mv {marker}.tmp {marker}; wait",
        outputs=kwtypes(out=int),
    )
    run = asyncio.ensure_future(t())
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert time.monotonic() < deadline and not run.done(), "the command never started"
        await asyncio.sleep(0.02)
    child = int(Path(f"{marker}.child").read_text())
    work = Path(marker.read_text().strip())
    assert (work / "outputs" / "out").exists()  # written, but the command has not exited
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert not work.exists()  # nothing half written stays
    from servers import until_gone

    await until_gone([child])  # killed with its group: gone (or a zombie) as soon as the kernel schedules it


FAKE_RUNTIME = r"""#!{py}
# A docker-compatible runtime for the tests: records its argv, answers `info`, and for `run` executes the command
# on this machine with the mounts (-v host:container) applied to its arguments and the -e variables set.
import json, os, subprocess, sys
args = sys.argv[1:]
with open({log!r}, "a") as f:
    f.write(json.dumps(args) + "\n")
if args[:1] == ["info"]:
    sys.exit(0)
if args[:1] == ["rm"]:
    sys.exit(0)
assert args[0] == "run", args
i, mounts, env = 1, {{}}, dict(os.environ)
while args[i].startswith("-"):
    if args[i] in ("-v", "-e", "--name"):
        if args[i] == "-v":
            host, ctr, _ = args[i + 1].split(":")
            mounts[ctr] = host
        elif args[i] == "-e":
            k, _, v = args[i + 1].partition("=")
            env[k] = v
        i += 2
    else:
        i += 1
image, cmd = args[i], args[i + 1:]
for ctr, host in mounts.items():
    cmd = [c.replace(ctr, host) for c in cmd]
sys.exit(subprocess.call(cmd, env=env))
"""


async def test_through_a_container_runtime_the_dirs_are_mounted_and_the_env_passed(monkeypatch, tmp_path):
    bin_dir, log = tmp_path / "bin", tmp_path / "argv.jsonl"
    bin_dir.mkdir()
    fake = bin_dir / "docker"
    fake.write_text(FAKE_RUNTIME.format(py=PY, log=str(log)))
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("AIOFLYTE_CONTAINER_RUNTIME", raising=False)
    monkeypatch.delenv("AIOFLYTE_LOCAL_IMAGES", raising=False)
    t = sh(
        "in_runtime",
        "echo $(( {{.inputs.val}} + 1 ))$MODE > /var/outputs/out; cat /var/inputs/val >> /var/outputs/out",
        inputs=kwtypes(val=int),
        outputs=kwtypes(out=str),
        environment={"MODE": "-fast"},
    )
    assert await t(val=4) == "5-fast\n4"
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert calls[0] == ["info"]
    run = calls[-1]
    assert run[:3] == ["run", "--rm", "--name"] and run[3].startswith("aioflyte-")
    assert run[4] == "-v" and run[5].endswith("/inputs:/var/inputs:rw")
    assert run[6] == "-v" and run[7].endswith("/outputs:/var/outputs:rw")
    assert run[8:10] == ["-e", "MODE=-fast"]
    assert run[10:] == [
        "alpine:3.19",
        "sh",
        "-c",
        "echo $(( 4 + 1 ))$MODE > /var/outputs/out; cat /var/inputs/val >> /var/outputs/out",
    ]


async def test_a_runtime_that_does_not_answer_is_named_in_the_error(monkeypatch, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    broken = bin_dir / "podman"
    broken.write_text("#!/bin/sh\necho 'Cannot connect to the daemon' >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("AIOFLYTE_CONTAINER_RUNTIME", raising=False)
    monkeypatch.delenv("AIOFLYTE_LOCAL_IMAGES", raising=False)
    with pytest.raises(FlyteEntityNotCallable, match=r"`podman info` failed: Cannot connect to the daemon"):
        await square(val=1)


def test_bad_parameters_are_clear_errors():
    with pytest.raises(FlyteValidationException, match=r"'c1'.*'image' expected a str or an ImageSpec, got int"):
        ContainerTask(name="c1", image=3, command=["true"])
    with pytest.raises(FlyteValidationException, match=r"'c2'.*'command' expected a list of str, got str"):
        ContainerTask(name="c2", image="alpine", command="echo hi")
    with pytest.raises(
        FlyteValidationException, match=r"'c3'.*'metadata_format' expected ContainerTask.MetadataFormat"
    ):
        ContainerTask(name="c3", image="alpine", command=["true"], metadata_format="JSON")
    with pytest.raises(FlyteValidationException, match=r"'c4'.*'secret_requests' expected a list of Secret, got str"):
        ContainerTask(name="c4", image="alpine", command=["true"], secret_requests=["pw"])
    with pytest.raises(FlyteValidationException, match=r"resources= or requests="):
        from aioflyte import Resources

        ContainerTask(name="c5", image="alpine", command=["true"], resources=Resources(cpu="1"), limits=Resources())


def test_flytekits_signature():
    import inspect

    params = list(inspect.signature(ContainerTask.__init__).parameters)
    assert params == [
        "self", "name", "image", "command", "inputs", "metadata", "arguments", "outputs", "requests", "limits",
        "input_data_dir", "output_data_dir", "metadata_format", "io_strategy", "secret_requests", "pod_template",
        "pod_template_name", "local_logs", "resources", "kwargs",
    ]  # fmt: skip
    from aioflyte.core.container_task import ContainerTask as Same

    assert Same is ContainerTask
    t = ContainerTask(name="two", image="a", command=["true"], outputs=kwtypes(a=int, b=str), pod_template_name="p")
    assert t.task_type == "raw-container" and t.metadata.pod_template_name == "p"
    assert t.python_interface.output_tuple._fields == ("a", "b")


def test_a_container_task_cannot_be_mapped_as_in_flytekit():
    from aioflyte import map_task

    with pytest.raises(FlyteValidationException, match=r"map_task\(square\): a ContainerTask cannot be mapped"):
        map_task(square)
