"""Data-plane throughput against a local S3 server and local disk, beside the libraries used directly.

Prints one JSON line. Big file: upload and download of one file (default 1 GiB) with aioflyte's provider,
against s3fs and boto3 used directly (and ``shutil.copyfile`` on local disk), plus tracemalloc peak growth
during aioflyte's transfers. Small files: a directory of N files (default 10,000 x 10 KB) with aioflyte's
bounded-concurrency ``put_directory``/``get_directory``, against a sequential loop of s3fs calls.
The S3 server is moto's, started as a separate process on a free loopback port.

    python benchmarks/bench_io.py [--big-mb 1024] [--small-n 10000] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _start_moto() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url, timeout=1)
            break
        except Exception:
            time.sleep(0.1)
    return proc, url


def _write_big(path: str, mb: int) -> None:
    block = os.urandom(2**20)
    with open(path, "wb") as f:
        for _ in range(mb):
            f.write(block)


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _mbps(mb: int, seconds: float) -> float:
    return round(mb / seconds, 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--big-mb", type=int, default=1024)
    ap.add_argument("--small-n", type=int, default=10_000)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.big_mb, args.small_n = 64, 500

    proc, endpoint = _start_moto()
    os.environ.update(
        {
            "FLYTE_AWS_ENDPOINT": endpoint,
            "FLYTE_AWS_ACCESS_KEY_ID": "testing",
            "FLYTE_AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }
    )
    import boto3
    import s3fs

    from aioflyte.io import FileAccessProvider

    boto = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    boto.create_bucket(Bucket="bench")
    direct = s3fs.S3FileSystem(key="testing", secret="testing", client_kwargs={"endpoint_url": endpoint})
    work = tempfile.mkdtemp(prefix="bench-io-")
    result: dict = {"benchmark": "bench_io", "big_file_mb": args.big_mb, "small_files": args.small_n}
    try:
        big = os.path.join(work, "big.bin")
        _write_big(big, args.big_mb)
        provider = FileAccessProvider()

        def aio_up() -> None:
            asyncio.run(provider.put_file(big, "s3://bench/aio/big.bin"))

        def aio_down() -> None:
            asyncio.run(provider.get_file("s3://bench/aio/big.bin", os.path.join(work, "aio_down.bin")))

        def peak(fn) -> float:
            tracemalloc.start()
            try:
                fn()
                return round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
            finally:
                tracemalloc.stop()

        t_aio_up = _timed(aio_up)
        t_s3fs_up = _timed(lambda: direct.put_file(big, "bench/s3fs/big.bin"))
        t_boto_up = _timed(lambda: boto.upload_file(big, "bench", "boto/big.bin"))
        t_aio_down = _timed(aio_down)
        t_s3fs_down = _timed(lambda: direct.get_file("bench/s3fs/big.bin", os.path.join(work, "s3fs_down.bin")))
        t_boto_down = _timed(lambda: boto.download_file("bench", "boto/big.bin", os.path.join(work, "boto_down.bin")))
        result["s3_big"] = {
            "upload_mb_s": {
                "aioflyte": _mbps(args.big_mb, t_aio_up),
                "s3fs": _mbps(args.big_mb, t_s3fs_up),
                "boto3": _mbps(args.big_mb, t_boto_up),
            },
            "download_mb_s": {
                "aioflyte": _mbps(args.big_mb, t_aio_down),
                "s3fs": _mbps(args.big_mb, t_s3fs_down),
                "boto3": _mbps(args.big_mb, t_boto_down),
            },
            "upload_ratio_vs_s3fs": round(t_s3fs_up / t_aio_up, 2),
            "download_ratio_vs_s3fs": round(t_s3fs_down / t_aio_down, 2),
            "peak_growth_mb": {"upload": peak(aio_up), "download": peak(aio_down)},
        }
        for f in ("aio_down.bin", "s3fs_down.bin", "boto_down.bin"):
            os.unlink(os.path.join(work, f))

        local_dst = os.path.join(work, "local_store", "big.bin")
        os.makedirs(os.path.dirname(local_dst), exist_ok=True)
        t_local_aio, t_local_raw = float("inf"), float("inf")
        for _ in range(2):  # best of two, alternating, so neither side pays the cold page cache alone
            t_local_raw = min(t_local_raw, _timed(lambda: shutil.copyfile(big, local_dst)))
            os.unlink(local_dst)
            t_local_aio = min(t_local_aio, _timed(lambda: asyncio.run(provider.put_file(big, local_dst))))
            os.unlink(local_dst)
        result["local_big"] = {
            "aioflyte_mb_s": _mbps(args.big_mb, t_local_aio),
            "shutil_mb_s": _mbps(args.big_mb, t_local_raw),
            "ratio": round(t_local_raw / t_local_aio, 2),
        }
        os.unlink(big)

        small = os.path.join(work, "small")
        os.makedirs(small)
        payload = os.urandom(10 * 1024)
        for i in range(args.small_n):
            with open(os.path.join(small, f"f{i:05d}.bin"), "wb") as f:
                f.write(payload)
        names = sorted(os.listdir(small))

        t_aio_dir_up = _timed(lambda: asyncio.run(provider.put_directory(small, "s3://bench/aio-small")))
        t_aio_dir_down = _timed(
            lambda: asyncio.run(provider.get_directory("s3://bench/aio-small", os.path.join(work, "aio-small-down")))
        )

        def seq_up() -> None:
            for n in names:
                direct.put_file(os.path.join(small, n), f"bench/seq-small/{n}")

        def seq_down() -> None:
            out = os.path.join(work, "seq-small-down")
            os.makedirs(out, exist_ok=True)
            for n in names:
                direct.get_file(f"bench/seq-small/{n}", os.path.join(out, n))

        t_seq_up = _timed(seq_up)
        t_seq_down = _timed(seq_down)
        result["s3_small"] = {
            "aioflyte_upload_s": round(t_aio_dir_up, 2),
            "sequential_upload_s": round(t_seq_up, 2),
            "upload_speedup": round(t_seq_up / t_aio_dir_up, 2),
            "aioflyte_download_s": round(t_aio_dir_down, 2),
            "sequential_download_s": round(t_seq_down, 2),
            "download_speedup": round(t_seq_down / t_aio_dir_down, 2),
            "concurrency": provider.data_config.max_concurrency,
        }
        # The same small-file transfers through a proxy adding 20 ms to every response, as a store across a
        # network would: this is where concurrency pays (the bare local server is CPU-bound, see docs).
        lat_port = _free_port()
        proxy = subprocess.Popen(
            [
                sys.executable,
                os.path.join(os.path.dirname(__file__), "_latency_proxy.py"),
                str(lat_port),
                endpoint.rsplit(":", 1)[1],
                "20",
            ],
        )
        try:
            time.sleep(1)
            lat_endpoint = f"http://127.0.0.1:{lat_port}"
            os.environ["FLYTE_AWS_ENDPOINT"] = lat_endpoint
            lat_provider = FileAccessProvider()
            lat_direct = s3fs.S3FileSystem(
                key="testing", secret="testing", skip_instance_cache=True, client_kwargs={"endpoint_url": lat_endpoint}
            )
            subset = names[: max(1, len(names) // 5)]
            sub_dir = os.path.join(work, "small-subset")
            os.makedirs(sub_dir)
            for n in subset:
                shutil.copyfile(os.path.join(small, n), os.path.join(sub_dir, n))
            t_lat_aio = _timed(lambda: asyncio.run(lat_provider.put_directory(sub_dir, "s3://bench/lat-aio")))
            t_lat_seq = _timed(
                lambda: [lat_direct.put_file(os.path.join(sub_dir, n), f"bench/lat-seq/{n}") for n in subset]
            )
            result["s3_small_20ms_latency"] = {
                "files": len(subset),
                "aioflyte_upload_s": round(t_lat_aio, 2),
                "sequential_upload_s": round(t_lat_seq, 2),
                "upload_speedup": round(t_lat_seq / t_lat_aio, 2),
            }
        finally:
            os.environ["FLYTE_AWS_ENDPOINT"] = endpoint
            proxy.terminate()
            proxy.wait()

        local_small = os.path.join(work, "local-small")
        t_local_dir = _timed(lambda: asyncio.run(provider.put_directory(small, local_small)))
        t_local_seq = _timed(
            lambda: [shutil.copyfile(os.path.join(small, n), os.path.join(work, "x.bin")) for n in names]
        )
        result["local_small"] = {"aioflyte_s": round(t_local_dir, 2), "sequential_copy_s": round(t_local_seq, 2)}
    finally:
        shutil.rmtree(work, ignore_errors=True)
        proc.terminate()
        proc.wait()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
