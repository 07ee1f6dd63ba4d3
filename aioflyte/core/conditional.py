"""``conditional()``: flytekit's if/elif/else sections, compiled into one "branch" node of the graph.

Every case's nodes are captured while its ``then(...)`` argument is evaluated; they live inside the branch
node, not in the enclosing graph. The branch node binds every outside value its conditions and cases use, so
a runner starts it once they are known; it then evaluates the conditions in order and runs only the chosen
case's nodes (locally: ``aioflyte/engine/branches.py``). ``cases`` / ``else_case`` / ``else_fail_message``
describe it for serializers (a flyteidl ``BranchNode``: case outputs are bound by name, condition operands are
``<node_id>.<var>`` inputs).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Union

from aioflyte.core.compile import CompilationState, outputs_of
from aioflyte.core.condition import ComparisonExpression, ConjunctionExpression
from aioflyte.core.context import _COMPILATION
from aioflyte.core.entity import Entity
from aioflyte.core.graph import START_NODE, BindingData, Const, Node, Ref, WorkflowGraph, refs_of
from aioflyte.core.interface import NO_DEFAULT, Interface
from aioflyte.core.promise import NodeHandle, Promise, PromiseTuple, VoidPromise, user_location
from aioflyte.exceptions import ConditionalCompileError as ConditionalCompileError
from aioflyte.exceptions import ConditionalFailure as ConditionalFailure
from aioflyte.exceptions import NoBranchTakenError as NoBranchTakenError

Expression = Union[ComparisonExpression, ConjunctionExpression]


def _error(message: str) -> ConditionalCompileError:
    return ConditionalCompileError(f"{message} (at {user_location()})")


def binding_var(node_id: str, var: str) -> str:
    """The branch node's input name for output ``var`` of node ``node_id`` (Flyte's ``<node_id>.<var>``)."""
    return f"{node_id}.{var}"


# --- describing conditions (error messages) --------------------------------------------------------------------


def _operand_text(x: Any, values: dict[str, dict[str, Any]] | None) -> str:
    if isinstance(x, Const):
        return repr(x.value)
    name = x.var if x.node_id == START_NODE else f"{x.node_id}.{x.var}"
    name += "".join(f".{p}" if isinstance(p, str) else f"[{p!r}]" for p in x.attr_path)
    if values is not None:
        try:
            from aioflyte.core.graph import resolve

            name += f"={resolve(x, values)!r}"
        except Exception:  # a value that is missing is only omitted from the message
            pass
    return name


def describe(expr: Expression, values: dict[str, dict[str, Any]] | None = None) -> str:
    """``x > 0`` (or ``x=-1 > 0`` with values) for an error message."""
    if isinstance(expr, ConjunctionExpression):
        op = "&" if expr.op == "and" else "|"
        return f"({describe(expr.lhs, values)}) {op} ({describe(expr.rhs, values)})"
    if expr.op == "is_none":
        return f"{_operand_text(expr.lhs, values)} is None"
    return f"{_operand_text(expr.lhs, values)} {expr.op} {_operand_text(expr.rhs, values)}"


# --- the branch entity ----------------------------------------------------------------------------------------


@dataclasses.dataclass
class BranchCase:
    """One case: ``kind`` is "if_", "elif_" or "else_"; ``condition`` is None for ``else_``.

    ``nodes`` run when the case is chosen; ``outputs`` binds the branch's outputs (references into ``nodes`` or
    to outside values); ``output_node`` is the node whose result ``then()`` received (flyteidl's then_node);
    ``fail_message`` is set for ``else_().fail(message)``, whose case has no nodes.
    """

    kind: str
    condition: Expression | None
    nodes: list[Node]
    outputs: dict[str, BindingData]
    output_node: Node | None = None
    fail_message: str | None = None
    _graph: WorkflowGraph | None = dataclasses.field(default=None, repr=False, compare=False)

    def graph(self, name: str, interface: Interface) -> WorkflowGraph:
        """The case's nodes and output bindings as a graph (made once; the case is final once built)."""
        graph = self._graph
        if graph is None or graph.name != name or graph.nodes is not self.nodes:
            graph = self._graph = WorkflowGraph(name, interface, self.nodes, self.outputs)
        return graph


class Branch(Entity):
    """The entity of a branch node: its cases and the outside values they read (its inputs)."""

    node_kind = "branch"

    def __init__(self, name: str) -> None:
        self._name = name
        self._interface = Interface()
        self._refs: dict[str, tuple[str, str]] = {}  # input name -> (node_id, var)
        self.cases: list[BranchCase] = []  # if_ and elif_ cases, in order
        self.else_case: BranchCase | None = None
        self._init_binding(self._interface)

    @property
    def else_fail_message(self) -> str | None:
        return self.else_case.fail_message if self.else_case is not None else None

    @property
    def all_cases(self) -> list[BranchCase]:
        return self.cases + ([self.else_case] if self.else_case is not None else [])

    def __repr__(self) -> str:
        parts = [f"{c.kind}({describe(c.condition) if c.condition is not None else ''})" for c in self.all_cases]
        return f"Branch({self._name!r}: {'.'.join(parts)})"

    def input_source(self, key: str) -> tuple[str, str]:
        """(node id, output name) of the outside value bound to input ``key`` of the branch node."""
        return self._refs[key]


# --- building a section ---------------------------------------------------------------------------------------


def _check_expression(name: str, kind: str, expr: Any) -> Expression:
    if isinstance(expr, (ComparisonExpression, ConjunctionExpression)):
        return expr
    if isinstance(expr, bool):
        raise _error(
            f"conditional {name!r}.{kind}(...) received {expr}, an already evaluated bool: conditions must compare "
            "promises (<, <=, >, >=, ==, !=, is_true(), is_false(), is_none()) combined with & and |"
        )
    if isinstance(expr, Promise):
        raise _error(
            f"conditional {name!r}.{kind}({expr!r}): a promise is not a condition; compare it, "
            "e.g. p.is_true(), p == 3 or p.is_none()"
        )
    raise _error(
        f"conditional {name!r}.{kind}(...) needs a comparison (<, <=, >, >=, ==, !=, is_true(), is_false(), "
        f"is_none()) or a conjunction of them (& and |), got {type(expr).__name__}"
    )


def _case_result(name: str, kind: str, result: Any) -> tuple[dict[str, Promise], Node | None, Any, bool]:
    """(promises by output name, result node, NamedTuple class, positional) of what ``then()`` received."""
    if isinstance(result, NodeHandle):
        result = outputs_of(result.node, result.node.entity)
    if result is None:
        return {}, None, None, False
    if isinstance(result, VoidPromise):
        return {}, result.node, None, False
    if isinstance(result, Promise):
        return {result.var: result}, result.node, None, False
    if isinstance(result, PromiseTuple):
        iface = result.node.entity.python_interface
        return dict(zip(result._names, result)), result.node, iface.output_tuple, iface.positional_outputs
    if isinstance(result, (tuple, list)) and result and all(isinstance(p, Promise) for p in result):
        promises: dict[str, Promise] = {}
        for p in result:
            if p.var in promises:
                raise _error(
                    f"conditional {name!r}.{kind}: then() got two outputs named {p.var!r}; "
                    "return them from one task instead"
                )
            promises[p.var] = p
        return promises, result[0].node, None, True
    raise _error(
        f"conditional {name!r}.{kind}: then() takes what an entity call returns (a promise, a tuple of promises, "
        f"or a call without outputs), got {type(result).__name__}"
    )


def _fmt_outputs(types: dict[str, Any]) -> str:
    if not types:
        return "no outputs"
    return "{" + ", ".join(f"{n}: {getattr(t, '__name__', t)}" for n, t in types.items()) + "}"


class ConditionalSection:
    """``conditional(name)``: ``.if_(cond).then(...)``, ``.elif_(cond).then(...)``, ``.else_().then/fail(...)``."""

    def __init__(self, name: str, state: CompilationState) -> None:
        self._name = name
        self._state = state
        self._branch = Branch(name)
        self._node: Node | None = None
        self._open: Case | None = None
        self._done = False
        self._output_types: dict[str, Any] | None = None
        self._first_outputs_case = ""

    @property
    def name(self) -> str:
        return self._name

    @property
    def branch(self) -> Branch:
        return self._branch

    @property
    def node(self) -> Node | None:
        return self._node

    @property
    def cases(self) -> list[BranchCase]:
        return self._branch.all_cases

    def if_(self, expr: Any) -> Case:
        if self._branch.cases or self._open is not None:
            raise _error(f"conditional {self._name!r} already has an if_(); add further cases with elif_()")
        return self._start("if_", expr)

    def _start(self, kind: str, expr: Any) -> Case:
        if self._done:
            raise _error(f"conditional {self._name!r} is complete (it has an else_()); no case can follow it")
        if self._open is not None:
            raise _error(f"conditional {self._name!r}: {self._open.kind}() needs its then(...) before {kind}()")
        condition = _check_expression(self._name, kind, expr) if kind != "else_" else None
        case = Case(self, kind, condition)
        self._state.push_capture(case._nodes)
        self._open = case
        return case

    def _end(self, case: Case, result: Any, fail_message: str | None) -> Any:
        if self._open is not case:
            raise _error(f"conditional {self._name!r}: this {case.kind}() case is already finished")
        popped = self._state.pop_capture()
        self._open = None
        if popped is not case._nodes:
            raise _error(
                f"conditional {self._name!r}: {case.kind}() was finished while another conditional's case was open; "
                "finish each case with then(...) in the order they were started"
            )
        where = f"conditional {self._name!r} case {len(self._branch.all_cases) + 1} ({case.kind})"
        if fail_message is not None:
            if case._nodes:
                raise _error(f"{where}: fail() takes only a message, but entities were called in it")
            bc = BranchCase(case.kind, case.condition, [], {}, None, fail_message)
        else:
            promises, result_node, output_tuple, positional = _case_result(self._name, case.kind, result)
            types = {n: p.python_type for n, p in promises.items()}
            if self._output_types is None:
                self._output_types = types
                self._first_outputs_case = where
                self._branch._interface.outputs = dict(types)
                self._branch._interface.output_tuple = output_tuple
                self._branch._interface.positional_outputs = positional
            elif types != self._output_types:
                raise _error(
                    f"{where} produces {_fmt_outputs(types)} but {self._first_outputs_case} produces "
                    f"{_fmt_outputs(self._output_types)}: every case of a conditional must produce the same outputs "
                    "(names and types)"
                )
            own = result_node if result_node is not None and result_node in case._nodes else None
            bc = BranchCase(case.kind, case.condition, list(case._nodes), {n: p.ref for n, p in promises.items()}, own)
        self._check_isolation(bc, where)
        if case.kind == "else_":
            self._branch.else_case = bc
            self._done = True
        else:
            self._branch.cases.append(bc)
        self._update_node()
        assert self._node is not None
        if self._done:
            return outputs_of(self._node, self._branch)
        return Condition(self, self._node)

    def _check_isolation(self, bc: BranchCase, where: str) -> None:
        """A case may not use nodes of another case, nor a condition the nodes of any case."""
        others = {n.id: c.kind for c in self._branch.all_cases for n in c.nodes}
        used = [r for n in bc.nodes for b in n.bindings.values() for r in refs_of(b)]
        used += [r for b in bc.outputs.values() for r in refs_of(b)]
        used += bc.condition.refs() if bc.condition is not None else []
        for r in used:
            if r.node_id in others:
                raise _error(
                    f"{where} uses {r.node_id}.{r.var}, an output of a node inside its {others[r.node_id]}() case; "
                    "a node called in a case exists only in that case"
                )

    def _update_node(self) -> None:
        """(Re)compute the branch node's inputs and upstream nodes from all its cases."""
        branch = self._branch
        refs: dict[str, Ref] = {}
        upstream: list[str] = []
        for case in branch.all_cases:
            internal = {n.id for n in case.nodes}
            used = case.condition.refs() if case.condition is not None else []
            for n in case.nodes:
                used += [r for b in n.bindings.values() for r in refs_of(b)]
                upstream += [u for u in n.upstream if u not in internal and u not in upstream]
            used += [r for b in case.outputs.values() for r in refs_of(b)]
            for r in used:
                if r.node_id in internal:
                    continue
                key = binding_var(r.node_id, r.var)
                if key not in refs:
                    refs[key] = Ref(r.node_id, r.var, (), r.python_type if not r.attr_path else Any)
        branch._refs = {k: (r.node_id, r.var) for k, r in refs.items()}
        branch._interface.inputs = {k: (r.python_type, NO_DEFAULT) for k, r in refs.items()}
        branch._init_binding(branch._interface)
        if self._node is None:
            self._node = Node(self._state.next_id(), branch, {})
            self._state.add_node(self._node)
        self._node.bindings = dict(refs)
        for u in upstream:
            if u not in self._node.upstream:
                self._node.upstream.append(u)

    def __repr__(self) -> str:
        return f"conditional({self._name!r}) {self._branch!r}"


class Case:
    """A case being built: finish it with ``then(result)`` (or ``fail(message)`` after ``else_()``)."""

    def __init__(self, section: ConditionalSection, kind: str, condition: Expression | None) -> None:
        self._section = section
        self.kind = kind
        self.condition = condition
        self._nodes: list[Node] = []

    @property
    def expr(self) -> Expression | None:
        return self.condition

    def then(self, p: Any) -> Any:
        """The case's result: the promise(s) of the entity call(s) made in the argument.

        Returns the conditional's outputs after ``else_()``, otherwise a ``Condition`` to add cases to.
        """
        return self._section._end(self, p, None)

    def fail(self, err: str) -> Any:
        """``else_().fail(message)``: when no other case matches, the run fails with ``message``."""
        if self.kind != "else_":
            self._section._state.pop_capture()
            self._section._open = None
            raise _error(
                f"conditional {self._section.name!r}: fail() is only allowed after else_(), not after {self.kind}()"
            )
        if not isinstance(err, str):
            raise _error(f"conditional {self._section.name!r}: fail() takes a message (str), got {err!r}")
        return self._section._end(self, None, err)

    def __repr__(self) -> str:
        cond = describe(self.condition) if self.condition is not None else ""
        return f"{self.kind}({cond})"


class Condition(VoidPromise):
    """What ``then()`` returns before ``else_()``: add ``elif_()`` / ``else_()`` cases, or order it with ``>>``.

    Without an ``else_()`` the conditional has no outputs, and the run fails when no case matches.
    """

    def __init__(self, section: ConditionalSection, node: Node) -> None:
        super().__init__(node)
        self._section = section

    def elif_(self, expr: Any) -> Case:
        return self._section._start("elif_", expr)

    def else_(self) -> Case:
        return self._section._start("else_", None)

    def __repr__(self) -> str:
        return (
            f"conditional {self._section.name!r} (no else_(): add .else_().then(...) or .else_().fail(...) "
            "to give it outputs)"
        )


def conditional(name: str) -> ConditionalSection:
    """Start a conditional section in the workflow body being compiled (flytekit's ``conditional``)."""
    state = _COMPILATION.get()
    if state is None:
        raise _error(
            f"conditional({name!r}) can only be used inside a workflow body (@workflow, @dynamic or "
            "ImperativeWorkflow.create_conditional); in @eager or plain Python code use an if statement"
        )
    return ConditionalSection(name, state)


__all__ = [
    "Branch",
    "BranchCase",
    "Case",
    "Condition",
    "ConditionalCompileError",
    "ConditionalFailure",
    "ConditionalSection",
    "NoBranchTakenError",
    "conditional",
]
