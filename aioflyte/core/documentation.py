"""Documentation of tasks, workflows and launch plans: ``Documentation``, ``Description``, ``SourceCode``.

The classes live in ``aioflyte.models.documentation`` (flytekit's ``flytekit.models.documentation``).
"""

from aioflyte.models.documentation import Description, Documentation, SourceCode

__all__ = ["Description", "Documentation", "SourceCode"]
