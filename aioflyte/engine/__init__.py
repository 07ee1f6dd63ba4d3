"""Execution engine: controllers, the graph scheduler, the task runner pipeline and the local cache store."""
