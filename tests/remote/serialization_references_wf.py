"""A workflow calling reference workflows: flytekit 1.16 serializes its nodes but refuses to serialize the workflow
("Reference sub-workflows are currently unsupported"), so make_golden_references.py writes its nodes alone."""

from serialization_references import ref_t1, ref_wf, ref_wf_entity

from aioflyte import workflow


@workflow
def wf_ref_wf(a: int, s: str) -> int:
    n, label = ref_wf(a=a, b=s)
    return ref_wf_entity(a=ref_t1(a=label), b=n)
