"""Authoring: interfaces, tasks, context, cache and resource configuration."""
