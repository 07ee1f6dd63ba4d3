"""What a type checker sees of tasks, workflows and eager workflows: calls typed by the function's signature,
``await`` typed by its result (mypy run on a small user module)."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow  # one mypy run (several seconds)

USER_CODE = """
import asyncio
from aioflyte import task, workflow, eager

@task
def square(x: int) -> int:
    return x * x

@task(retries=2, cache=False)
async def fetch(url: str) -> bytes:
    return url.encode()

@workflow
def wf(n: int) -> int:
    return square(x=n)  # type: ignore[return-value]  # a promise here (docs/tasks.md, "Type checking")

@eager
async def pipeline(urls: list[str]) -> int:
    pages = await asyncio.gather(*[fetch(url=u) for u in urls])
    reveal_type(pages)
    return len(pages)

async def main() -> None:
    reveal_type(await square(x=3))
    reveal_type(await fetch(url="u"))
    reveal_type(await wf(n=3))
    reveal_type(await pipeline(urls=["a"]))
    square(y=3)
    await fetch(url=1)
"""


@pytest.fixture(scope="module")
def mypy_report(tmp_path_factory) -> str:
    from mypy import api

    d = tmp_path_factory.mktemp("typing")
    (d / "user_code.py").write_text(textwrap.dedent(USER_CODE), encoding="utf-8")
    # the source tree on mypy's path: it does not follow setuptools' editable-install import hooks
    old = os.environ.get("MYPYPATH")
    os.environ["MYPYPATH"] = str(ROOT)
    try:
        stdout, stderr, _ = api.run([str(d / "user_code.py"), "--no-incremental", "--cache-dir=/dev/null"])
    finally:
        if old is None:
            del os.environ["MYPYPATH"]
        else:
            os.environ["MYPYPATH"] = old
    return stdout + stderr


def _line(report: str, needle: str) -> str:
    lines = [line for line in report.splitlines() if needle in line]
    assert lines, report
    return lines[0]


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("square(x=3)", "int"),
        ("fetch(url=", "bytes"),
        ("wf(n=3)", "int"),
        ("pipeline(urls=", "int"),
        ("reveal_type(pages)", "list[bytes]"),
    ],
)
def test_awaiting_a_call_has_the_functions_result_type(mypy_report, call, expected):
    lines = textwrap.dedent(USER_CODE).splitlines()
    lineno = next(i for i, line in enumerate(lines, 1) if "reveal_type" in line and call in line)
    revealed = _line(mypy_report, f"user_code.py:{lineno}: note: Revealed type is")
    assert revealed.endswith((f'"{expected}"', f'"builtins.{expected}"')), mypy_report


def test_no_other_errors(mypy_report):
    errors = [line for line in mypy_report.splitlines() if ": error:" in line]
    assert len(errors) == 3, mypy_report  # the three deliberate ones below


def test_wrong_inputs_and_a_forgotten_await_are_type_errors(mypy_report):
    assert 'Unexpected keyword argument "y"' in mypy_report, mypy_report
    assert 'Argument "url"' in mypy_report and '"int"; expected "str"' in mypy_report, mypy_report
    assert "must be used" in _line(mypy_report, "unused-coroutine"), mypy_report
