"""Checkpoints: a retried task resumes from what its previous attempt saved (local disk and S3)."""

from __future__ import annotations

import pytest

from aioflyte import current_context, task
from aioflyte.exceptions import FlyteRecoverableException


@pytest.fixture(params=["local", "s3"])
def where(request):
    if request.param == "s3":
        request.getfixturevalue("s3_raw_prefix")
    return request.param


async def test_retried_sync_task_reads_previous_attempts_checkpoint(where):
    seen: list[bytes | None] = []

    @task(retries=3)
    def train(epochs: int) -> int:
        cp = current_context().checkpoint
        prev = cp.read()
        seen.append(prev)
        done = int(prev) if prev else 0
        done += 1  # one "epoch" per attempt, then crash
        cp.write(str(done).encode())
        if done < epochs:
            raise FlyteRecoverableException(f"crashed after epoch {done}")
        return done

    assert await train(epochs=3) == 3
    assert seen == [None, b"1", b"2"]


async def test_async_task_uses_async_methods_and_directories(where, tmp_path):
    @task(retries=1)
    async def resume() -> str:
        cp = current_context().checkpoint
        restored = await cp.arestore()
        if restored is None:
            d = tmp_path / f"state-{where}"
            d.mkdir()
            (d / "weights.txt").write_text("w1")
            await cp.asave(d)
            raise FlyteRecoverableException("preempted")
        return (restored / "weights.txt").read_text()

    assert await resume() == "w1"


async def test_sync_call_on_the_loop_is_a_clear_error():
    @task
    async def wrong() -> None:
        current_context().checkpoint.read()

    with pytest.raises(RuntimeError, match=r"await current_context\(\)\.checkpoint\.aread"):
        await wrong()


async def test_first_attempt_has_no_previous_checkpoint():
    @task
    def first() -> bool:
        cp = current_context().checkpoint
        return cp.prev_exists() or cp.restore() is not None

    assert await first() is False
