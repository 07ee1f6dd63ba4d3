"""Settings of the local engine, from environment variables with sane local defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _float(name: str, default: float) -> float:
    v = os.environ.get(name)
    return float(v) if v else default


def _int(name: str, default: int) -> int:
    v = os.environ.get(name)
    return int(v) if v else default


@dataclass
class LocalSettings:
    """Retry backoff (exponential with jitter, fast by default locally) and worker pool sizes."""

    retry_initial_delay: float = 0.01
    retry_max_delay: float = 1.0
    retry_jitter: float = 0.01
    max_threads: int = 64
    max_processes: int = 0  # 0: os.cpu_count()
    cache_reservation_ttl: float = 60.0
    max_parallelism: int = 64  # task nodes of one workflow run executing at once, unless the run sets it

    @classmethod
    def from_env(cls) -> LocalSettings:
        return cls(
            retry_initial_delay=_float("AIOFLYTE_RETRY_INITIAL_DELAY", cls.retry_initial_delay),
            retry_max_delay=_float("AIOFLYTE_RETRY_MAX_DELAY", cls.retry_max_delay),
            retry_jitter=_float("AIOFLYTE_RETRY_JITTER", cls.retry_jitter),
            max_threads=_int("AIOFLYTE_MAX_THREADS", cls.max_threads),
            max_processes=_int("AIOFLYTE_MAX_PROCESSES", cls.max_processes),
            cache_reservation_ttl=_float("AIOFLYTE_CACHE_RESERVATION_TTL", cls.cache_reservation_ttl),
            max_parallelism=_int("AIOFLYTE_MAX_PARALLELISM", cls.max_parallelism),
        )


settings = LocalSettings.from_env()
