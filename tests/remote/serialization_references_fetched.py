"""A workflow calling a fetched ``FlyteTask`` and ``FlyteLaunchPlan``, built from the golden messages of
serialization_references.py (as a backend would return them). Imported as aioflyte by test_references_golden.py
and as flytekit by make_golden_references.py, which build the fetched entities each their own way."""

import os
import typing

from flyteidl.admin import launch_plan_pb2, task_pb2, workflow_pb2
from google.protobuf import text_format

import aioflyte
from aioflyte import workflow

G = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden_references")


def _read(msg, fname):
    with open(os.path.join(G, fname)) as f:
        text_format.Parse(f.read(), msg)
    return msg


_task = _read(task_pb2.TaskSpec(), "0_serialization_references.local_t_1.pbtxt").template
_lp = _read(launch_plan_pb2.LaunchPlan(), "5_lp_refs_3.pbtxt")
_wf = _read(workflow_pb2.WorkflowSpec(), "1_serialization_references.wf_refs_2.pbtxt").template

if aioflyte.__name__ == "flytekit":
    from flytekit.models.core.identifier import Identifier
    from flytekit.models.interface import TypedInterface
    from flytekit.models.launch_plan import LaunchPlanSpec
    from flytekit.models.task import TaskTemplate
    from flytekit.remote.entities import FlyteLaunchPlan, FlyteTask

    fetched_task = FlyteTask.promote_from_model(TaskTemplate.from_flyte_idl(_task))
    fetched_lp = FlyteLaunchPlan.promote_from_model(
        Identifier.from_flyte_idl(_lp.id), LaunchPlanSpec.from_flyte_idl(_lp.spec)
    )
    fetched_lp._interface = TypedInterface.from_flyte_idl(_wf.interface)  # what fetch_launch_plan fills in
else:
    from aioflyte.remote.entities import FlyteLaunchPlan, FlyteTask

    fetched_task = FlyteTask(_task)
    closure = launch_plan_pb2.LaunchPlanClosure(
        expected_inputs=_lp.spec.default_inputs, expected_outputs=_wf.interface.outputs
    )
    fetched_lp = FlyteLaunchPlan(_lp.id, _lp.spec, closure)


@workflow
def wf_fetched(s: str, n: int) -> typing.Tuple[int, str]:
    c = fetched_task(s=s, n=n)
    return fetched_lp(a=c, s=s)
