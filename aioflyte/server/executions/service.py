"""The execution calls of ``AdminService``: create (a task, a launch plan, or a workflow's default launch plan),
get, list, terminate, get-data; node and task execution calls come from ``nodeservice.py``.

``ExecutionAdminService`` extends the registration service with them; the server builds it over an
:class:`ExecutionManager`.
"""

from __future__ import annotations

import re
from typing import Any

from flyteidl.admin import common_pb2, execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2

from aioflyte.server import validation as check
from aioflyte.server.admin import AdminService
from aioflyte.server.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, missing
from aioflyte.server.executions.launch import resolve_launch
from aioflyte.server.executions.manager import ExecutionManager, new_name
from aioflyte.server.executions.nodeservice import NodeExecutionCalls
from aioflyte.server.executions.store import EXECUTION_SORT_KEYS
from aioflyte.server.rpc import handler
from aioflyte.server.store import Store

_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")


def _key(id: identifier_pb2.WorkflowExecutionIdentifier) -> tuple[str, str, str]:
    return (id.project, id.domain, id.name)


def _execution_id(id: identifier_pb2.WorkflowExecutionIdentifier, has_id: bool) -> tuple[str, str, str]:
    if not has_id:
        raise missing("id")
    for field in ("project", "domain", "name"):
        if not getattr(id, field):
            raise missing(field)
    return _key(id)


def _describe_execution(key: tuple[str, str, str]) -> str:
    return f"execution {'/'.join(key)}"


class ExecutionAdminService(NodeExecutionCalls, AdminService):
    """Registration and lookup (from :class:`AdminService`) plus the execution, node and task execution calls."""

    def __init__(self, store: Store, executions: ExecutionManager) -> None:
        super().__init__(store)
        self.executions = executions

    async def _get_execution(self, key: tuple[str, str, str]) -> execution_pb2.Execution:
        execution = await self.executions.store.get(*key)
        if execution is None:
            raise NotFound(f"{_describe_execution(key)} does not exist")
        return execution

    @handler
    async def CreateExecution(
        self, request: execution_pb2.ExecutionCreateRequest, context: Any
    ) -> execution_pb2.ExecutionCreateResponse:
        check.named_entity(request.project, request.domain)
        if not request.HasField("spec"):
            raise missing("spec")
        spec = request.spec
        if not spec.HasField("launch_plan"):
            raise missing("launch_plan")
        target = spec.launch_plan
        kinds = (identifier_pb2.TASK, identifier_pb2.LAUNCH_PLAN, identifier_pb2.WORKFLOW)
        expected = target.resource_type if target.resource_type in kinds else identifier_pb2.LAUNCH_PLAN
        check.identifier(target, True, expected)
        check.max_parallelism(spec.max_parallelism, "the execution spec")
        name = request.name or new_name()
        if not _NAME.match(name):
            raise InvalidArgument(
                f"invalid execution name {name!r}: use lowercase letters, digits and '-', starting with a letter "
                "(at most 63 characters)"
            )
        await self._require_project(request.project, request.domain)
        given = request.inputs if request.HasField("inputs") else spec.inputs
        launch = await resolve_launch(self.store, target, given)
        key = (request.project, request.domain, name)
        run = launch.closure if launch.closure is not None else launch.task
        assert run is not None
        if await self.executions.create(key, spec, run, launch.inputs, launch.launch_plan) is None:
            raise AlreadyExists(f"{_describe_execution(key)} already exists")
        return execution_pb2.ExecutionCreateResponse(
            id=identifier_pb2.WorkflowExecutionIdentifier(project=request.project, domain=request.domain, name=name)
        )

    @handler
    async def GetExecution(
        self, request: execution_pb2.WorkflowExecutionGetRequest, context: Any
    ) -> execution_pb2.Execution:
        return await self._get_execution(_execution_id(request.id, request.HasField("id")))

    @handler
    async def ListExecutions(
        self, request: common_pb2.ResourceListRequest, context: Any
    ) -> execution_pb2.ExecutionList:
        if not request.HasField("id"):
            raise missing("id")
        check.named_entity(request.id.project, request.id.domain)
        check.limit(request.limit)
        offset = check.token(request.token, "ListExecutions")
        sort_key, ascending = check.sort(
            request.sort_by, request.HasField("sort_by"), EXECUTION_SORT_KEYS, "created_at"
        )
        executions = await self.executions.store.list(
            request.id.project, request.id.domain, limit=request.limit, offset=offset, sort_key=sort_key,
            ascending=ascending, filters=request.filters,
        )  # fmt: skip
        token = str(offset + len(executions)) if len(executions) == request.limit else ""
        return execution_pb2.ExecutionList(executions=executions, token=token)

    @handler
    async def TerminateExecution(
        self, request: execution_pb2.ExecutionTerminateRequest, context: Any
    ) -> execution_pb2.ExecutionTerminateResponse:
        key = _execution_id(request.id, request.HasField("id"))
        await self._get_execution(key)
        if not await self.executions.terminate(key, request.cause or "terminated", "aioflyte-server"):
            phase = core_execution_pb2.WorkflowExecution.Phase.Name((await self._get_execution(key)).closure.phase)
            # flyteadmin: terminating a finished execution is a FailedPrecondition
            raise FailedPrecondition(f"{_describe_execution(key)} has already finished ({phase})")
        return execution_pb2.ExecutionTerminateResponse()

    @handler
    async def GetExecutionData(
        self, request: execution_pb2.WorkflowExecutionGetDataRequest, context: Any
    ) -> execution_pb2.WorkflowExecutionGetDataResponse:
        key = _execution_id(request.id, request.HasField("id"))
        execution = await self._get_execution(key)
        inputs_uri, inputs = await self.executions.read_inputs(key)
        response = execution_pb2.WorkflowExecutionGetDataResponse(full_inputs=inputs)
        response.inputs.url = inputs_uri
        response.inputs.bytes = inputs.ByteSize()
        outputs = await self.executions.read_outputs(execution)
        if outputs is not None:
            response.full_outputs.CopyFrom(outputs)
            response.outputs.url = execution.closure.outputs.uri
            response.outputs.bytes = outputs.ByteSize()
        return response
