"""A run's scratch space (aioflyte.runscope.RunState.tmp_dir): one per run, removed when the run ends."""

from __future__ import annotations

import os
import tempfile
import threading

import pytest

from aioflyte.runscope import RunState, run_scope, run_scratch


@pytest.fixture
def tmp(tmp_path, monkeypatch) -> str:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return str(tmp_path)


def test_one_scratch_directory_per_run_even_when_threads_ask_at_once(tmp):
    run = RunState()
    n = 8
    barrier = threading.Barrier(n)
    seen: list[str] = []

    def ask() -> None:
        barrier.wait()
        seen.append(run.tmp_dir)

    threads = [threading.Thread(target=ask) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 1 and os.listdir(tmp) == [os.path.basename(seen[0])]
    run.close()
    assert os.listdir(tmp) == []


def test_the_scratch_space_goes_with_the_run_and_is_not_made_again(tmp):
    with run_scope(RunState()) as run:
        scratch = run_scratch()
        assert scratch == run.tmp_dir and os.path.isdir(scratch)
    assert run_scratch() is None and run.closed and not os.path.exists(scratch)
    with pytest.raises(RuntimeError, match="has ended"):
        run.tmp_dir  # noqa: B018  # code still running for the ended run gets an error, not a new directory
    assert os.listdir(tmp) == []


def test_a_held_run_keeps_its_scratch_space_until_the_last_release(tmp):
    run = RunState()
    first = run.tmp_dir
    run.hold()  # a body of the run is still running on a worker thread
    run.hold()
    run.close()
    assert os.path.isdir(first)
    run.release()
    assert os.path.isdir(first)
    run.release()
    assert not os.path.exists(first) and os.listdir(tmp) == []

    run = RunState()
    run.hold()
    run.close()
    late = run.tmp_dir  # first asked after the run ended, by a body still running: made, and removed with it
    assert os.path.isdir(late)
    run.release()
    assert os.listdir(tmp) == []
