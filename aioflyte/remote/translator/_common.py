"""Helpers every translator uses: identifiers, DNS-safe node ids, typed interfaces and documentation."""

from __future__ import annotations

import hashlib
import inspect
import re
from dataclasses import dataclass, field
from typing import Any

from flyteidl.admin import description_entity_pb2
from flyteidl.core import identifier_pb2, interface_pb2

from aioflyte.core.artifact import DYNAMIC_INPUT_BINDING, partial_artifact_id
from aioflyte.types.engine import TypeEngine

TASK = identifier_pb2.TASK
WORKFLOW = identifier_pb2.WORKFLOW
LAUNCH_PLAN = identifier_pb2.LAUNCH_PLAN

#: Flyte's id for workflow inputs in bindings (flytekit's GLOBAL_INPUT_NODE_ID), and the failure node ids.
GLOBAL_INPUT_NODE_ID = ""
DEFAULT_FAILURE_NODE_ID = "efn"


def identifier(resource_type: identifier_pb2.ResourceType, settings: Any, name: str) -> identifier_pb2.Identifier:
    return identifier_pb2.Identifier(
        resource_type=resource_type,
        project=settings.project or "",
        domain=settings.domain or "",
        name=name,
        version=settings.version or "",
    )


def short_name(name: str) -> str:
    """The last dotted part of a name (a node's default metadata name)."""
    return name.split(".")[-1] if name else ""


def dnsify(value: str) -> str:
    """A DNS-1123 label for ``value`` (Flyte node ids): lower case, ``-`` separators, at most 63 characters."""
    limit, hash_len = 63, 10
    if len(value) >= limit:
        digest = hashlib.sha224(value.encode("utf-8")).hexdigest()[:hash_len]
        value = f"{digest}-{value[-(limit - hash_len - 1) :]}"
    out = ""
    for ch in value:
        if ch in "_-.":
            if out and len(out) < limit - 1:
                out += "-"
        elif not ch.isalnum():
            continue
        elif ch.islower() or ch.isdigit():
            out += ch
        else:
            if out and out[-1] != "-" and len(out) < limit - 1:
                out += "-"
            out += ch.lower()
    return out[:-1] if out.endswith("-") else out


# --- docstrings ----------------------------------------------------------------------------------------------

_REST_PARAM = re.compile(r"^:(?:param|parameter|arg|argument|key|keyword)\s+(?:[^:]*\s)?(\*{0,2}\w+)\s*:(.*)$")
_REST_RETURN = re.compile(r"^:returns?(?:\s+[^:]*)?:(.*)$")
_GOOGLE_SECTION = re.compile(r"^(\w[\w ]*):\s*$")
_GOOGLE_ITEM = re.compile(r"^(\*{0,2}\w+)\s*(?:\(([^)]*)\))?\s*:\s*(.*)$")
_GOOGLE_PARAM_SECTIONS = {"args", "arguments", "parameters", "params", "keyword args", "keyword arguments"}
_GOOGLE_RETURN_SECTIONS = {"returns", "return", "yields", "yield"}


@dataclass
class ParsedDocstring:
    """What serialization reads from a docstring: the short and long descriptions, parameters and returns."""

    short_description: str | None = None
    long_description: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    returns: dict[str | None, str] = field(default_factory=dict)


def parse_docstring(doc: str | None) -> ParsedDocstring:
    """Parse a reST (``:param x:``) or Google (``Args:``) style docstring."""
    parsed = ParsedDocstring()
    if not doc:
        return parsed
    text = inspect.cleandoc(doc)
    lines = text.splitlines()
    meta_at = next((i for i, ln in enumerate(lines) if ln.startswith(":")), None)
    google_at = None
    if meta_at is None:
        google_at = next(
            (
                i
                for i, ln in enumerate(lines)
                if (m := _GOOGLE_SECTION.match(ln))
                and m.group(1).lower() in (_GOOGLE_PARAM_SECTIONS | _GOOGLE_RETURN_SECTIONS | {"raises"})
            ),
            None,
        )
    cut = meta_at if meta_at is not None else google_at
    desc_lines = lines if cut is None else lines[:cut]
    desc = "\n".join(desc_lines)
    first, _, rest = desc.partition("\n")
    parsed.short_description = first or None
    parsed.long_description = rest.strip() or None
    if meta_at is not None:
        _parse_rest(lines[meta_at:], parsed)
    elif google_at is not None:
        _parse_google(lines[google_at:], parsed)
    return parsed


def _items(lines: list[str], is_start: Any) -> list[str]:
    """Join continuation lines (indented, or not starting a new item) onto the item they continue."""
    items: list[str] = []
    for ln in lines:
        if is_start(ln) or not items:
            items.append(ln.strip())
        elif ln.strip():
            items[-1] += "\n" + ln.strip()
    return items


def _parse_rest(lines: list[str], parsed: ParsedDocstring) -> None:
    for item in _items(lines, lambda ln: ln.startswith(":")):
        head, _, tail = item.partition("\n")
        if m := _REST_PARAM.match(head):
            parsed.params[m.group(1)] = "\n".join(x for x in (m.group(2).strip(), tail) if x)
        elif m := _REST_RETURN.match(head):
            parsed.returns[None] = "\n".join(x for x in (m.group(1).strip(), tail) if x)


def _parse_google(lines: list[str], parsed: ParsedDocstring) -> None:
    section = ""
    body: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    for ln in lines:
        m = _GOOGLE_SECTION.match(ln)
        if m and not ln.startswith((" ", "\t")):
            if section:
                sections.append((section, body))
            section, body = m.group(1).lower(), []
        else:
            body.append(ln)
    if section:
        sections.append((section, body))
    for name, body in sections:
        indent = min((len(b) - len(b.lstrip()) for b in body if b.strip()), default=0)
        items = _items(body, lambda ln, i=indent: ln.strip() and len(ln) - len(ln.lstrip()) <= i)
        if name in _GOOGLE_PARAM_SECTIONS:
            for item in items:
                if m := _GOOGLE_ITEM.match(item):
                    parsed.params[m.group(1)] = m.group(3).strip()
        elif name in _GOOGLE_RETURN_SECTIONS and items:
            text = "\n".join(items)
            m = re.match(r"^[\w\[\], .|]+:\s*(.*)$", text, re.S)
            parsed.returns[None] = (m.group(1) if m else text).strip()


# --- interfaces and documentation ------------------------------------------------------------------------------


def variable_map(types: dict[str, Any], descriptions: dict[str, str] | None = None) -> interface_pb2.VariableMap:
    """Variables of the types; a type naming an artifact (``Annotated[T, MyData(...)]``) carries its partial id."""
    descriptions = descriptions or {}
    vm = interface_pb2.VariableMap()
    for name, t in types.items():
        var = interface_pb2.Variable(type=TypeEngine.to_literal_type(t), description=descriptions.get(name, name))
        try:
            partial = partial_artifact_id(t)
        except ValueError as e:
            raise ValueError(f"output {name}: {e}") from None
        if partial is not None:
            var.artifact_partial_id.CopyFrom(partial)
        vm.variables[name].CopyFrom(var)
    return vm


def check_artifact_bindings(
    entity: str, inputs: dict[str, Any], outputs: interface_pb2.VariableMap, allow_partial: bool
) -> None:
    """An output's partitions bound to inputs name inputs that exist; a workflow's are all bound (flytekit's
    checks: only a task's body can set partitions at run time)."""
    for k, v in outputs.variables.items():
        if not v.HasField("artifact_partial_id"):
            continue
        pid = v.artifact_partial_id
        values = list(pid.partitions.value.items()) if pid.HasField("partitions") else []
        if pid.HasField("time_partition"):
            values.append(("time_partition", pid.time_partition.value))
        for pk, pv in values:
            if pv == DYNAMIC_INPUT_BINDING:
                if not allow_partial:
                    raise ValueError(
                        f"{entity}: output {k}: partition {pk!r} of artifact {pid.artifact_key.name} is not bound; "
                        "a workflow cannot set partitions at run time (bind it to a value or Inputs.<name>)"
                    )
            elif pv.HasField("input_binding") and pv.input_binding.var not in inputs:
                raise ValueError(
                    f"{entity}: output {k}: partition {pk!r} is bound to input {pv.input_binding.var!r}, which is "
                    f"not an input (inputs: {', '.join(inputs) or 'none'})"
                )


def input_descriptions(docstring: str | None) -> dict[str, str]:
    return dict(parse_docstring(docstring).params) if docstring else {}


def output_descriptions(docstring: str | None, outputs: dict[str, Any]) -> dict[str, str]:
    if not docstring:
        return {}
    returns = parse_docstring(docstring).returns
    if len(returns) == 1:  # one "returns" text describes every output
        text = next(iter(returns.values()))
        return dict.fromkeys(outputs, text)
    return {k: v for k, v in returns.items() if k is not None}


def typed_interface(interface: Any, entity: str = "", allow_partial: bool = True) -> interface_pb2.TypedInterface:
    """The flyteidl interface of an aioflyte ``Interface``; descriptions come from the docstring, else the names.

    ``allow_partial``: outputs may name artifacts whose partitions are set at run time (tasks, not workflows).
    """
    doc = getattr(interface, "docstring", None)
    outputs = variable_map(interface.outputs, output_descriptions(doc, interface.outputs))
    check_artifact_bindings(entity, interface.input_types, outputs, allow_partial)
    return interface_pb2.TypedInterface(
        inputs=variable_map(interface.input_types, input_descriptions(doc)), outputs=outputs
    )


def description_entity(docs: Any, docstring: str | None) -> description_entity_pb2.DescriptionEntity:
    """The entity's documentation: explicit ``docs`` completed by the docstring's short and long descriptions."""
    from aioflyte.core.documentation import Description, Documentation

    parsed = parse_docstring(docstring)
    if docs is None:
        docs = Documentation(
            short_description=parsed.short_description,
            long_description=Description(value=parsed.long_description),
        )
    else:
        long = docs.long_description
        if parsed.long_description:
            long = Description(value=parsed.long_description)
        docs = Documentation(
            short_description=parsed.short_description or docs.short_description,
            long_description=long,
            source_code=docs.source_code,
        )
    return docs.to_flyte_idl()
