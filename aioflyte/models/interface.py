"""flytekit's ``flytekit.models.interface``: typed variables and parameters (flyteidl ``core.interface``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from aioflyte.models._base import FlyteIdlEntity
from aioflyte.models.literals import Literal
from aioflyte.models.types import LiteralType

if TYPE_CHECKING:
    from flyteidl.core.artifact_id_pb2 import ArtifactID, ArtifactQuery, ArtifactTag

_IFACE = "flyteidl.core.interface_pb2"


class Variable(FlyteIdlEntity, idl=f"{_IFACE}:Variable"):
    """A typed input or output; the artifact fields are flyteidl messages, as in flytekit."""

    type: LiteralType
    description: str
    artifact_partial_id: ArtifactID | None = None
    artifact_tag: ArtifactTag | None = None

    def to_flyte_idl_list(self) -> Any:
        """The message of this variable as a list of its type (what a map task's interface holds)."""
        kwargs = self._to_kwargs()
        kwargs["type"] = {"collection_type": kwargs["type"]}
        return self._idl()(**kwargs)


class VariableMap(FlyteIdlEntity, idl=f"{_IFACE}:VariableMap"):
    variables: dict[str, Variable]


def _variable_map(variables: dict[str, Any]) -> dict[str, Any]:
    return {"variables": {k: v.to_flyte_idl() if hasattr(v, "to_flyte_idl") else v for k, v in variables.items()}}


class TypedInterface(FlyteIdlEntity, idl=f"{_IFACE}:TypedInterface", custom=("inputs", "outputs")):
    """The inputs and outputs of a task or workflow, by name (the message wraps each in a ``VariableMap``)."""

    inputs: dict[str, Variable]
    outputs: dict[str, Variable]

    def to_flyte_idl(self) -> Any:
        return self._idl()(inputs=_variable_map(self.inputs), outputs=_variable_map(self.outputs))

    @classmethod
    def from_flyte_idl(cls, pb: Any) -> Self:
        return cls(
            inputs={k: Variable.from_flyte_idl(v) for k, v in pb.inputs.variables.items()},
            outputs={k: Variable.from_flyte_idl(v) for k, v in pb.outputs.variables.items()},
        )

    def transform_interface_to_list(self, bound_inputs: set[str], excluded_inputs: set[str]) -> Self:
        """The interface of a map task over this one: inputs not bound become lists (excluded ones are dropped),
        and every output becomes a list."""
        pb = self._idl()(
            inputs={
                "variables": {
                    k: v.to_flyte_idl() if k in bound_inputs else v.to_flyte_idl_list()
                    for k, v in self.inputs.items()
                    if k not in excluded_inputs
                }
            },
            outputs={"variables": {k: v.to_flyte_idl_list() for k, v in self.outputs.items()}},
        )
        return self.from_flyte_idl(pb)


class Parameter(FlyteIdlEntity, idl=f"{_IFACE}:Parameter", custom=("required",)):
    """A launch plan input: its variable, and a default, ``required=True``, or an artifact query."""

    var: Variable
    default: Literal | None = None
    required: bool | None = None
    artifact_query: ArtifactQuery | None = None
    artifact_id: ArtifactID | None = None

    @property
    def behavior(self) -> Any:
        """The default, else ``required``, else the artifact query."""
        return self.default or self.required or self.artifact_query

    def to_flyte_idl(self) -> Any:
        required = self.required if self.default is None and self.artifact_query is None else None
        return self._idl()(**self._to_kwargs(), required=required)

    @classmethod
    def from_flyte_idl(cls, pb: Any) -> Self:
        return cls(**cls._from_kwargs(pb), required=pb.required if pb.HasField("required") else None)


class ParameterMap(FlyteIdlEntity, idl=f"{_IFACE}:ParameterMap"):
    parameters: dict[str, Parameter]


__all__ = ["Parameter", "ParameterMap", "TypedInterface", "Variable", "VariableMap"]
