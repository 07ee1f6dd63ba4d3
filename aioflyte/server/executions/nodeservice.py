"""The node and task execution calls of ``AdminService`` (flyteadmin's request and response shapes).

``ListNodeExecutions`` lists the top-level node executions of an execution, or with ``unique_parent_id`` the
children of a subworkflow, branch or dynamic node (ids ``<parent>-0-<node>``); ``ListTaskExecutions`` lists a
node's attempts. The ``*Data`` calls return the inputs and outputs inline and as file URLs.
``GetExecutionMetrics`` gives the execution's timings as a tree of spans: the workflow, its node executions
(nested ones down to ``depth`` levels) and each task attempt, whose ``ExecutionRuntime`` operation span is the time
it ran.
"""

from __future__ import annotations

from typing import Any

from flyteidl.admin import execution_pb2, node_execution_pb2, task_execution_pb2
from flyteidl.core import compiler_pb2, identifier_pb2, metrics_pb2, workflow_pb2

from aioflyte.server import validation as check
from aioflyte.server.errors import NotFound, missing
from aioflyte.server.executions.nodestore import NODE_SORT_KEYS
from aioflyte.server.executions.records import read_literals
from aioflyte.server.rpc import handler


def _execution_key(id: identifier_pb2.WorkflowExecutionIdentifier) -> tuple[str, str, str]:
    for field in ("project", "domain", "name"):
        if not getattr(id, field):
            raise missing(f"execution id {field}")
    return (id.project, id.domain, id.name)


def _node_key(id: identifier_pb2.NodeExecutionIdentifier, has_id: bool) -> tuple[tuple[str, str, str], str]:
    if not has_id:
        raise missing("id")
    if not id.node_id:
        raise missing("node_id")
    return _execution_key(id.execution_id), id.node_id


def _describe_node(key: tuple[str, str, str], node_id: str) -> str:
    return f"node execution {node_id} of execution {'/'.join(key)}"


async def _blob_data(response: Any, input_uri: str, output_uri: str) -> None:
    inputs = await read_literals(input_uri)
    if inputs is not None:
        response.full_inputs.CopyFrom(inputs)
        response.inputs.url = input_uri
        response.inputs.bytes = inputs.ByteSize()
    outputs = await read_literals(output_uri)
    if outputs is not None:
        response.full_outputs.CopyFrom(outputs)
        response.outputs.url = output_uri
        response.outputs.bytes = outputs.ByteSize()


_PAGE = 1000


def _span_times(span: metrics_pb2.Span, closure: Any) -> None:
    """A span's start and end from an execution closure (``started_at`` / ``created_at``, ``duration`` /
    ``updated_at``)."""
    start = closure.started_at if closure.HasField("started_at") else closure.created_at
    span.start_time.CopyFrom(start)
    if closure.HasField("duration") and closure.duration.ToNanoseconds() > 0:
        span.end_time.FromNanoseconds(start.ToNanoseconds() + closure.duration.ToNanoseconds())
    else:
        span.end_time.CopyFrom(closure.updated_at)


class NodeExecutionCalls:
    """Mixed into the Admin service (which has ``self.executions``, the :class:`ExecutionManager`)."""

    executions: Any

    async def _get_node(self, key: tuple[str, str, str], node_id: str) -> node_execution_pb2.NodeExecution:
        if await self.executions.store.get(*key) is None:
            raise NotFound(f"execution {'/'.join(key)} does not exist")
        ne = await self.executions.nodes.get_node(key, node_id)
        if ne is None:
            raise NotFound(f"{_describe_node(key, node_id)} does not exist")
        return ne

    @handler
    async def ListNodeExecutions(
        self, request: node_execution_pb2.NodeExecutionListRequest, context: Any
    ) -> node_execution_pb2.NodeExecutionList:
        if not request.HasField("workflow_execution_id"):
            raise missing("workflow_execution_id")
        key = _execution_key(request.workflow_execution_id)
        check.limit(request.limit)
        offset = check.token(request.token, "ListNodeExecutions")
        sort_key, ascending = check.sort(request.sort_by, request.HasField("sort_by"), NODE_SORT_KEYS, "created_at")
        if not request.HasField("sort_by"):
            ascending = True  # in the order the nodes started
        if request.unique_parent_id:
            await self._get_node(key, request.unique_parent_id)
        elif await self.executions.store.get(*key) is None:
            raise NotFound(f"execution {'/'.join(key)} does not exist")
        nodes = await self.executions.nodes.list_nodes(
            key, request.unique_parent_id, limit=request.limit, offset=offset, sort_key=sort_key, ascending=ascending
        )
        token = str(offset + len(nodes)) if len(nodes) == request.limit else ""
        return node_execution_pb2.NodeExecutionList(node_executions=nodes, token=token)

    @handler
    async def GetExecutionMetrics(
        self, request: execution_pb2.WorkflowExecutionGetMetricsRequest, context: Any
    ) -> execution_pb2.WorkflowExecutionGetMetricsResponse:
        if not request.HasField("id"):
            raise missing("id")
        key = _execution_key(request.id)
        execution = await self.executions.store.get(*key)
        if execution is None:
            raise NotFound(f"execution {'/'.join(key)} does not exist")
        depth = request.depth if request.depth > 0 else 10
        span = metrics_pb2.Span(workflow_id=request.id)
        _span_times(span, execution.closure)
        span.spans.extend(await self._node_spans(key, "", depth))
        return execution_pb2.WorkflowExecutionGetMetricsResponse(span=span)

    async def _node_spans(self, key: tuple[str, str, str], parent_id: str, depth: int) -> list[metrics_pb2.Span]:
        nodes = await self.executions.nodes.list_nodes(
            key, parent_id, limit=_PAGE, offset=0, sort_key="created_at", ascending=True
        )
        out = []
        for ne in nodes:
            span = metrics_pb2.Span(node_id=ne.id)
            _span_times(span, ne.closure)
            for te in await self.executions.nodes.list_tasks(key, ne.id.node_id, limit=_PAGE, offset=0):
                task_span = metrics_pb2.Span(task_id=te.id)
                _span_times(task_span, te.closure)
                runtime = metrics_pb2.Span(operation_id="ExecutionRuntime")
                runtime.start_time.CopyFrom(task_span.start_time)
                runtime.end_time.CopyFrom(task_span.end_time)
                task_span.spans.append(runtime)
                span.spans.append(task_span)
            if depth > 1 and ne.metadata.is_parent_node:
                span.spans.extend(await self._node_spans(key, ne.id.node_id, depth - 1))
            out.append(span)
        return out

    @handler
    async def GetNodeExecution(
        self, request: node_execution_pb2.NodeExecutionGetRequest, context: Any
    ) -> node_execution_pb2.NodeExecution:
        return await self._get_node(*_node_key(request.id, request.HasField("id")))

    @handler
    async def GetNodeExecutionData(
        self, request: node_execution_pb2.NodeExecutionGetDataRequest, context: Any
    ) -> node_execution_pb2.NodeExecutionGetDataResponse:
        key, node_id = _node_key(request.id, request.HasField("id"))
        ne = await self._get_node(key, node_id)
        response = node_execution_pb2.NodeExecutionGetDataResponse()
        await _blob_data(response, ne.input_uri, ne.closure.output_uri)
        if ne.metadata.is_dynamic and ne.closure.dynamic_job_spec_uri:
            await self._dynamic_workflow(response, key, ne)
        return response

    async def _dynamic_workflow(
        self, response: node_execution_pb2.NodeExecutionGetDataResponse, key: tuple[str, str, str],
        ne: node_execution_pb2.NodeExecution,
    ) -> None:  # fmt: skip
        import asyncio
        from pathlib import Path

        from flyteidl.core import dynamic_job_pb2

        data = await asyncio.to_thread(Path(ne.closure.dynamic_job_spec_uri).read_bytes)
        spec = dynamic_job_pb2.DynamicJobSpec.FromString(data)
        attempts = await self.executions.nodes.list_tasks(key, ne.id.node_id, limit=1, offset=0)
        wid = identifier_pb2.Identifier()
        if attempts:
            wid.CopyFrom(attempts[0].id.task_id)
        wid.resource_type = identifier_pb2.WORKFLOW
        closure = compiler_pb2.CompiledWorkflowClosure(
            primary=compiler_pb2.CompiledWorkflow(
                template=workflow_pb2.WorkflowTemplate(id=wid, nodes=spec.nodes, outputs=spec.outputs)
            ),
            tasks=[compiler_pb2.CompiledTask(template=t) for t in spec.tasks],
            sub_workflows=[compiler_pb2.CompiledWorkflow(template=s) for s in spec.subworkflows],
        )
        response.dynamic_workflow.id.CopyFrom(wid)
        response.dynamic_workflow.compiled_workflow.CopyFrom(closure)
        response.dynamic_workflow.dynamic_job_spec_uri = ne.closure.dynamic_job_spec_uri

    async def _get_task_execution(
        self, id: identifier_pb2.TaskExecutionIdentifier, has_id: bool
    ) -> task_execution_pb2.TaskExecution:
        if not has_id:
            raise missing("id")
        key, node_id = _node_key(id.node_execution_id, id.HasField("node_execution_id"))
        await self._get_node(key, node_id)
        te = await self.executions.nodes.get_task(key, node_id, id.retry_attempt)
        if te is None:
            raise NotFound(f"task execution (attempt {id.retry_attempt}) of {_describe_node(key, node_id)} "
                           "does not exist")  # fmt: skip
        return te

    @handler
    async def ListTaskExecutions(
        self, request: task_execution_pb2.TaskExecutionListRequest, context: Any
    ) -> task_execution_pb2.TaskExecutionList:
        key, node_id = _node_key(request.node_execution_id, request.HasField("node_execution_id"))
        check.limit(request.limit)
        offset = check.token(request.token, "ListTaskExecutions")
        await self._get_node(key, node_id)
        tasks = await self.executions.nodes.list_tasks(key, node_id, limit=request.limit, offset=offset)
        token = str(offset + len(tasks)) if len(tasks) == request.limit else ""
        return task_execution_pb2.TaskExecutionList(task_executions=tasks, token=token)

    @handler
    async def GetTaskExecution(
        self, request: task_execution_pb2.TaskExecutionGetRequest, context: Any
    ) -> task_execution_pb2.TaskExecution:
        return await self._get_task_execution(request.id, request.HasField("id"))

    @handler
    async def GetTaskExecutionData(
        self, request: task_execution_pb2.TaskExecutionGetDataRequest, context: Any
    ) -> task_execution_pb2.TaskExecutionGetDataResponse:
        te = await self._get_task_execution(request.id, request.HasField("id"))
        response = task_execution_pb2.TaskExecutionGetDataResponse()
        await _blob_data(response, te.input_uri, te.closure.output_uri)
        return response
