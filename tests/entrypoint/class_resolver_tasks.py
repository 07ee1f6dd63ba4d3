"""Tasks made in a loop and kept by a ClassStorageTaskResolver (no module attribute names them)."""

from __future__ import annotations

from aioflyte import kwtypes
from aioflyte.core.python_function_task import PythonInstanceTask
from aioflyte.extend import ClassStorageTaskResolver, Interface

resolver = ClassStorageTaskResolver()


class Scale(PythonInstanceTask):
    def __init__(self, factor: int) -> None:
        super().__init__(
            name=f"class_resolver_tasks.scale_{factor}",
            interface=Interface(inputs=kwtypes(x=int), outputs=kwtypes(o0=int)),
            task_resolver=resolver,
        )
        self.factor = factor
        resolver.add(self)

    def execute(self, **kwargs: int) -> int:
        return kwargs["x"] * self.factor


SCALERS = [Scale(f) for f in (2, 3, 10)]
