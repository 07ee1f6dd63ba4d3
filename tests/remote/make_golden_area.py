"""Write the expected protobufs for ``serialization_<area>.py``, produced by flytekit (run with flytekit's Python).

    /tmp/fk/bin/python tests/remote/make_golden_area.py env          # also: artifacts, sql, container, connectors

Writes tests/remote/golden_<area>/<N>_<name>_<1|2|3>.pbtxt (pyflyte package's naming and order, text format). The
examples import aioflyte's module paths (``aioflyte.extend.backend...``, ``aioflyte.sensor...``, ``aioflyte.deck``,
...): here every ``flytekit.*`` module is also registered as ``aioflyte.*``, the same module objects. The
``container`` area needs the kubernetes package beside flytekit (a pod template). ``make_golden.py`` (the first
examples, with dynamic job specs) and ``make_golden_references.py`` (reference entities) have scripts of their own.
"""

import importlib
import os
import sys

import flytekit

sys.modules["aioflyte"] = flytekit
# the submodules the examples import, as the same module objects flytekit uses (not second copies)
for _sub in ("core.artifact", "deck", "extras.accelerators", "extend.backend.base_connector", "sensor.base_sensor",
             "sensor.file_sensor", "extras.sqlite3.task"):  # fmt: skip
    importlib.import_module(f"flytekit.{_sub}")
for _name in list(sys.modules):
    if _name.startswith("flytekit."):
        sys.modules["aioflyte." + _name[len("flytekit.") :]] = sys.modules[_name]
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from flytekit.configuration import ImageConfig, SerializationSettings  # noqa: E402
from flytekit.core.context_manager import FlyteContextManager  # noqa: E402
from flytekit.tools.serialize_helpers import get_registrable_entities  # noqa: E402
from google.protobuf import text_format  # noqa: E402

PROJECT, DOMAIN, VERSION = "flytesnacks", "development", "v1"


def main(area: str) -> None:
    importlib.import_module(f"serialization_{area}")
    out = os.path.join(HERE, f"golden_{area}")
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        os.remove(os.path.join(out, f))
    settings = SerializationSettings(
        image_config=ImageConfig.auto_default_image(), project=PROJECT, domain=DOMAIN, version=VERSION
    )
    ctx = FlyteContextManager.current_context().with_serialization_settings(settings)
    with FlyteContextManager.with_context(ctx) as c:
        entities = get_registrable_entities(c)
        width = len(str(len(entities) - 1))
        for i, e in enumerate(entities):
            pb = e.to_flyte_idl()
            kind = {"TaskSpec": 1, "WorkflowSpec": 2, "LaunchPlan": 3}[type(pb).__name__]
            name = pb.id.name if kind == 3 else pb.template.id.name
            with open(os.path.join(out, f"{str(i).zfill(width)}_{name}_{kind}.pbtxt"), "w") as fh:
                fh.write(text_format.MessageToString(pb))
    print(f"wrote {len(entities)} files to {out}")


if __name__ == "__main__":
    main(sys.argv[1])
