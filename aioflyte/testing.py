"""Helpers for testing workflows (flytekit's ``flytekit.testing``): ``task_mock``, ``patch``, ``SecretsManager``.

``task_mock(t)`` mocks a task (or workflow, launch plan, map task) for a ``with`` block; ``@patch(t)`` does so for
a test and passes it the mock. See ``aioflyte.core.testing``.
"""

from aioflyte.core.secrets import SecretsManager
from aioflyte.core.testing import patch, task_mock

__all__ = ["SecretsManager", "patch", "task_mock"]
