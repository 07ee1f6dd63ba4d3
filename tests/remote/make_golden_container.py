"""Write the expected protobufs for serialization_container.py, produced by flytekit (run with flytekit's Python).

    /tmp/fk/bin/python tests/remote/make_golden_container.py   # flytekit 1.16 and the kubernetes package

Writes tests/remote/golden_container/<N>_<name>_<1|2|3>.pbtxt (pyflyte package's naming and order, text format).
"""

import os
import sys

import flytekit

sys.modules["aioflyte"] = flytekit
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import serialization_container  # noqa: E402, F401
from flytekit.configuration import ImageConfig, SerializationSettings  # noqa: E402
from flytekit.core.context_manager import FlyteContextManager  # noqa: E402
from flytekit.tools.serialize_helpers import get_registrable_entities  # noqa: E402
from google.protobuf import text_format  # noqa: E402

PROJECT, DOMAIN, VERSION = "flytesnacks", "development", "v1"


def main() -> None:
    out = os.path.join(HERE, "golden_container")
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
    main()
