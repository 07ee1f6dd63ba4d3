"""flytekit's ``FlyteRemote.execute_*`` variants, each for one kind of entity: ``execute_reference_*`` (what a
reference entity points at, in its project and domain), ``execute_local_*`` (a local entity, registered when
missing), ``execute_remote_*`` (a fetched entity). Each checks its entity and goes to the executions part
(:class:`~aioflyte.remote.executions.Executions`), as ``FlyteRemote.execute`` does; their signatures are flytekit's.
"""

from __future__ import annotations

from typing import Any

from aioflyte.core.reference_entity import ReferenceLaunchPlan, ReferenceTask, ReferenceWorkflow
from aioflyte.remote.base import RemoteBase
from aioflyte.remote.checks import expect_instance, expect_kind
from aioflyte.remote.entities import FlyteLaunchPlan, FlyteTask, FlyteWorkflow
from aioflyte.remote.executions import FlyteWorkflowExecution
from aioflyte.remote.serialization import SerializationSettings


class Launchers(RemoteBase):
    """The ``execute_*`` variants of :class:`~aioflyte.remote.remote.FlyteRemote` (its base class)."""

    async def execute_reference_task(
        self,
        entity: ReferenceTask,
        inputs: dict[str, Any] | None = None,
        execution_name: str | None = None,
        execution_name_prefix: str | None = None,
        options: Any = None,
        wait: bool = False,
        type_hints: dict[str, Any] | None = None,
        overwrite_cache: bool | None = None,
        interruptible: bool | None = None,
        envs: dict[str, str] | None = None,
        tags: list[str] | None = None,
        cluster_pool: str | None = None,
        execution_cluster_label: str | None = None,
    ) -> FlyteWorkflowExecution:
        """Launch the task a ``ReferenceTask`` points at, in the reference's project and domain."""
        expect_instance(entity, ReferenceTask, "execute_reference_task", "a ReferenceTask")
        return await self._executions.execute(
            entity, inputs, execution_name=execution_name, execution_name_prefix=execution_name_prefix,
            options=options, wait=wait, type_hints=type_hints, overwrite_cache=overwrite_cache,
            interruptible=interruptible, envs=envs, tags=tags, cluster_pool=cluster_pool,
            execution_cluster_label=execution_cluster_label,
        )  # fmt: skip

    async def execute_reference_workflow(
        self,
        entity: ReferenceWorkflow,
        inputs: dict[str, Any] | None = None,
        execution_name: str | None = None,
        execution_name_prefix: str | None = None,
        options: Any = None,
        wait: bool = False,
        type_hints: dict[str, Any] | None = None,
        overwrite_cache: bool | None = None,
        interruptible: bool | None = None,
        envs: dict[str, str] | None = None,
        tags: list[str] | None = None,
        cluster_pool: str | None = None,
        execution_cluster_label: str | None = None,
    ) -> FlyteWorkflowExecution:
        """Launch the workflow a ``ReferenceWorkflow`` points at (through its default launch plan)."""
        expect_instance(entity, ReferenceWorkflow, "execute_reference_workflow", "a ReferenceWorkflow")
        return await self._executions.execute(
            entity, inputs, execution_name=execution_name, execution_name_prefix=execution_name_prefix,
            options=options, wait=wait, type_hints=type_hints, overwrite_cache=overwrite_cache,
            interruptible=interruptible, envs=envs, tags=tags, cluster_pool=cluster_pool,
            execution_cluster_label=execution_cluster_label,
        )  # fmt: skip

    async def execute_reference_launch_plan(
        self,
        entity: ReferenceLaunchPlan,
        inputs: dict[str, Any] | None = None,
        execution_name: str | None = None,
        execution_name_prefix: str | None = None,
        options: Any = None,
        wait: bool = False,
        type_hints: dict[str, Any] | None = None,
        overwrite_cache: bool | None = None,
        interruptible: bool | None = None,
        envs: dict[str, str] | None = None,
        tags: list[str] | None = None,
        cluster_pool: str | None = None,
        execution_cluster_label: str | None = None,
    ) -> FlyteWorkflowExecution:
        """Launch the launch plan a ``ReferenceLaunchPlan`` points at."""
        expect_instance(entity, ReferenceLaunchPlan, "execute_reference_launch_plan", "a ReferenceLaunchPlan")
        return await self._executions.execute(
            entity, inputs, execution_name=execution_name, execution_name_prefix=execution_name_prefix,
            options=options, wait=wait, type_hints=type_hints, overwrite_cache=overwrite_cache,
            interruptible=interruptible, envs=envs, tags=tags, cluster_pool=cluster_pool,
            execution_cluster_label=execution_cluster_label,
        )  # fmt: skip

    async def execute_local_task(
        self,
        entity: Any,
        inputs: dict[str, Any] | None = None,
        project: str | None = None,
        domain: str | None = None,
        name: str | None = None,
        version: str = "latest",
        execution_name: str | None = None,
        execution_name_prefix: str | None = None,
        image_config: Any = None,
        wait: bool = False,
        overwrite_cache: bool | None = None,
        interruptible: bool | None = None,
        envs: dict[str, str] | None = None,
        tags: list[str] | None = None,
        cluster_pool: str | None = None,
        execution_cluster_label: str | None = None,
        options: Any = None,
        serialization_settings: SerializationSettings | None = None,
    ) -> FlyteWorkflowExecution:
        """Launch a local task, registering it under ``version`` (flytekit's default: ``latest``) if missing."""
        expect_kind(entity, ("task", "map_task"), "execute_local_task", "a local task")
        return await self._executions.execute(
            entity, inputs, project, domain, name, version, execution_name, execution_name_prefix, image_config,
            options, wait, None, overwrite_cache, interruptible, envs, tags, cluster_pool, execution_cluster_label,
            serialization_settings,
        )  # fmt: skip

    async def execute_local_workflow(
        self,
        entity: Any,
        inputs: dict[str, Any] | None = None,
        project: str | None = None,
        domain: str | None = None,
        name: str | None = None,
        version: str | None = None,
        execution_name: str | None = None,
        execution_name_prefix: str | None = None,
        image_config: Any = None,
        options: Any = None,
        wait: bool = False,
        overwrite_cache: bool | None = None,
        interruptible: bool | None = None,
        envs: dict[str, str] | None = None,
        tags: list[str] | None = None,
        cluster_pool: str | None = None,
        execution_cluster_label: str | None = None,
        serialization_settings: SerializationSettings | None = None,
    ) -> FlyteWorkflowExecution:
        """Launch a local workflow (its default launch plan), registering it if missing (version: a hash of its
        serialized form when not given)."""
        expect_kind(entity, ("workflow",), "execute_local_workflow", "a local workflow")
        return await self._executions.execute(
            entity, inputs, project, domain, name, version, execution_name, execution_name_prefix, image_config,
            options, wait, None, overwrite_cache, interruptible, envs, tags, cluster_pool, execution_cluster_label,
            serialization_settings,
        )  # fmt: skip

    async def execute_local_launch_plan(
        self,
        entity: Any,
        inputs: dict[str, Any] | None = None,
        *,
        version: str,
        project: str | None = None,
        domain: str | None = None,
        name: str | None = None,
        execution_name: str | None = None,
        execution_name_prefix: str | None = None,
        options: Any = None,
        wait: bool = False,
        overwrite_cache: bool | None = None,
        interruptible: bool | None = None,
        envs: dict[str, str] | None = None,
        tags: list[str] | None = None,
        cluster_pool: str | None = None,
        execution_cluster_label: str | None = None,
        serialization_settings: SerializationSettings | None = None,
    ) -> FlyteWorkflowExecution:
        """Launch a local ``LaunchPlan``, registering it (and its workflow) under ``version`` if missing."""
        expect_kind(entity, ("launch_plan",), "execute_local_launch_plan", "a LaunchPlan")
        return await self._executions.execute(
            entity, inputs, project, domain, name, version, execution_name, execution_name_prefix, None, options,
            wait, None, overwrite_cache, interruptible, envs, tags, cluster_pool, execution_cluster_label,
            serialization_settings,
        )  # fmt: skip

    async def execute_remote_wf(
        self,
        entity: FlyteWorkflow,
        inputs: dict[str, Any] | None = None,
        project: str | None = None,
        domain: str | None = None,
        execution_name: str | None = None,
        execution_name_prefix: str | None = None,
        options: Any = None,
        wait: bool = False,
        type_hints: dict[str, Any] | None = None,
        overwrite_cache: bool | None = None,
        interruptible: bool | None = None,
        envs: dict[str, str] | None = None,
        tags: list[str] | None = None,
        cluster_pool: str | None = None,
        execution_cluster_label: str | None = None,
    ) -> FlyteWorkflowExecution:
        """Launch a fetched workflow through its default launch plan."""
        expect_instance(entity, FlyteWorkflow, "execute_remote_wf", "a FlyteWorkflow")
        return await self._executions.execute(
            entity, inputs, project, domain, execution_name=execution_name,
            execution_name_prefix=execution_name_prefix, options=options, wait=wait, type_hints=type_hints,
            overwrite_cache=overwrite_cache, interruptible=interruptible, envs=envs, tags=tags,
            cluster_pool=cluster_pool, execution_cluster_label=execution_cluster_label,
        )  # fmt: skip

    async def execute_remote_task_lp(
        self,
        entity: FlyteTask | FlyteLaunchPlan,
        inputs: dict[str, Any] | None = None,
        project: str | None = None,
        domain: str | None = None,
        execution_name: str | None = None,
        execution_name_prefix: str | None = None,
        options: Any = None,
        wait: bool = False,
        type_hints: dict[str, Any] | None = None,
        overwrite_cache: bool | None = None,
        interruptible: bool | None = None,
        envs: dict[str, str] | None = None,
        tags: list[str] | None = None,
        cluster_pool: str | None = None,
        execution_cluster_label: str | None = None,
    ) -> FlyteWorkflowExecution:
        """Launch a fetched task or launch plan."""
        expect_instance(
            entity, (FlyteTask, FlyteLaunchPlan), "execute_remote_task_lp", "a FlyteTask or FlyteLaunchPlan"
        )
        return await self._executions.execute(
            entity, inputs, project, domain, execution_name=execution_name,
            execution_name_prefix=execution_name_prefix, options=options, wait=wait, type_hints=type_hints,
            overwrite_cache=overwrite_cache, interruptible=interruptible, envs=envs, tags=tags,
            cluster_pool=cluster_pool, execution_cluster_label=execution_cluster_label,
        )  # fmt: skip


__all__ = ["Launchers"]
