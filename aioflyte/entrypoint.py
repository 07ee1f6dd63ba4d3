"""``aioflyte-execute``: the container entrypoint Flyte runs for a task (also ``python -m aioflyte.entrypoint``).

    aioflyte-execute --inputs <inputs.pb> --output-prefix <uri> --raw-output-data-prefix <uri>
                     --checkpoint-path <uri> --prev-checkpoint <uri> --resolver <resolver> -- <resolver args>

It loads the task through the resolver (``task-module M task-name T`` for the default one), reads the inputs
``LiteralMap``, runs the task once on a fresh event loop and writes ``<output-prefix>/outputs.pb``, or on
failure ``<output-prefix>/error.pb`` (an ``ErrorDocument``) and still exits 0, as flytekit does: the platform
reads the document to decide about retries. A map task runs the one item named by the array index
environment variables. See docs/entrypoint.md.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from aioflyte._entrypoint.execute import Request, execute
from aioflyte._entrypoint.fast import fast_main
from aioflyte._entrypoint.resolver import (
    MapTaskResolver,
    TaskResolver,
    default_resolver,
    eager_failure_task_resolver,
    map_task_resolver,
)

#: The name aioflyte.remote's serializer writes in container args (the same resolver).
default_task_resolver = default_resolver

log = logging.getLogger("aioflyte.entrypoint")

# Options flytekit's entrypoints take that mean nothing here: accepted, logged at debug level, ignored.
_IGNORED = ("max_concurrency", "dynamic_addl_distro", "dynamic_dest_dir")
# Propeller leaves a template unfilled (or empty) when it has no value for it.
_UNFILLED = {"{{.rawOutputDataPrefix}}", "{{.checkpointOutputPrefix}}", "{{.prevCheckpointPrefix}}", "", '""'}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="aioflyte-execute", description="Run one task the way a Flyte backend runs a task container."
    )
    p.add_argument("--inputs", required=True, help="URI of inputs.pb (a LiteralMap)")
    p.add_argument("--output-prefix", required=True, help="where outputs.pb or error.pb is written")
    p.add_argument("--raw-output-data-prefix", help="where files, directories and dataframes are written")
    p.add_argument("--checkpoint-path", help="where this attempt saves its checkpoint")
    p.add_argument("--prev-checkpoint", help="the previous attempt's checkpoint")
    p.add_argument("--resolver", help="the task resolver (default: aioflyte.entrypoint.default_resolver)")
    p.add_argument("--test", action="store_true", help="resolve the task, then stop without running it")
    p.add_argument("--dynamic-addl-distro", help=argparse.SUPPRESS)
    p.add_argument("--dynamic-dest-dir", help=argparse.SUPPRESS)
    p.add_argument("--max-concurrency", type=int, help=argparse.SUPPRESS)
    p.add_argument("resolver_args", nargs="*", help="arguments of the resolver, after '--'")
    return p


def parse_args(argv: list[str]) -> Request:
    """The request on a command line (flytekit's option set; a leading ``pyflyte-execute`` word is skipped)."""
    if argv and argv[0] in ("pyflyte-execute", "pyflyte-map-execute"):
        argv = argv[1:]
    rest: list[str] = []
    if "--" in argv:  # everything after the first '--' belongs to the resolver, whatever it looks like
        i = argv.index("--")
        argv, rest = argv[:i], argv[i + 1 :]
    ns = _parser().parse_args(argv)
    for name in _IGNORED:
        if getattr(ns, name) is not None:
            log.debug("ignoring --%s %s (not used by aioflyte's entrypoint)", name.replace("_", "-"), getattr(ns, name))

    def filled(v: str | None) -> str | None:
        return None if v is None or v in _UNFILLED else v

    return Request(
        inputs=ns.inputs,
        output_prefix=ns.output_prefix,
        raw_output_prefix=filled(ns.raw_output_data_prefix),
        checkpoint_path=filled(ns.checkpoint_path),
        prev_checkpoint=filled(ns.prev_checkpoint),
        resolver=ns.resolver,
        resolver_args=[*ns.resolver_args, *rest],
        dynamic_addl_distro=ns.dynamic_addl_distro,
        dynamic_dest_dir=ns.dynamic_dest_dir,
        test=ns.test,
    )


def _configure_logging() -> None:
    level = os.environ.get("AIOFLYTE_LOG_LEVEL") or os.environ.get("FLYTE_SDK_LOGGING_LEVEL") or "WARNING"
    logging.basicConfig(
        level=int(level) if level.isdigit() else level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the task the command line names; the exit code is 0 unless nothing could be recorded.

    With ``FLYTE_FAIL_ON_ERROR=true`` a failure also exits 1 (for plugins whose UI shows the exit status).
    """
    import faulthandler
    import signal

    from aioflyte._run import _loop_factory

    _configure_logging()
    if hasattr(signal, "SIGUSR1"):
        faulthandler.register(signal.SIGUSR1)  # `kill -USR1` prints every thread's stack: for hung tasks
    req = parse_args(list(sys.argv[1:] if argv is None else argv))
    if hasattr(asyncio, "Runner"):
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            error_file = runner.run(execute(req))
    else:  # Python 3.10
        error_file = asyncio.run(execute(req))
    fail = os.environ.get("FLYTE_FAIL_ON_ERROR", "").lower() in ("1", "true", "t", "yes", "y", "on")
    return 1 if error_file is not None and fail else 0


__all__ = [
    "MapTaskResolver",
    "Request",
    "TaskResolver",
    "default_resolver",
    "default_task_resolver",
    "eager_failure_task_resolver",
    "execute",
    "fast_main",
    "main",
    "map_task_resolver",
    "parse_args",
]

if __name__ == "__main__":
    sys.exit(main())
