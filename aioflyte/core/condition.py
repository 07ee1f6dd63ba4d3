"""Condition expressions built from promises: comparisons, ``&`` / ``|``, evaluated when the graph runs."""

from __future__ import annotations

import operator
from typing import Any, Callable

from aioflyte.core.graph import Const, Ref, resolve
from aioflyte.core.promise import Promise, compile_error

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "is_none": lambda a, _: a is None,
}


def _operand(x: Any) -> Any:
    if isinstance(x, Promise):
        return x.ref
    if isinstance(x, (ComparisonExpression, ConjunctionExpression)):
        raise compile_error("a comparison's operands must be promises or constants, not other conditions")
    return Const(x)


class ComparisonExpression:
    """``lhs <op> rhs`` where either side is a promise (a node output or workflow input) or a constant."""

    def __init__(self, lhs: Any, op: str, rhs: Any) -> None:
        self.op = op
        self.lhs = _operand(lhs)
        self.rhs = _operand(rhs)

    def refs(self) -> list[Ref]:
        return [x for x in (self.lhs, self.rhs) if isinstance(x, Ref)]

    def eval(self, results: dict[str, dict[str, Any]]) -> bool:
        return bool(_OPS[self.op](resolve(self.lhs, results), resolve(self.rhs, results)))

    def __and__(self, other: Any) -> ConjunctionExpression:
        return ConjunctionExpression(self, "and", other)

    def __or__(self, other: Any) -> ConjunctionExpression:
        return ConjunctionExpression(self, "or", other)

    def __bool__(self) -> bool:
        raise compile_error(
            "conditions on promises cannot use Python's and/or/not/if: combine them with & and |, "
            "and branch with conditional()"
        )

    def __repr__(self) -> str:
        return f"({self.lhs} {self.op} {self.rhs})"


class ConjunctionExpression:
    """``lhs & rhs`` or ``lhs | rhs`` over conditions."""

    def __init__(self, lhs: Any, op: str, rhs: Any) -> None:
        for side in (lhs, rhs):
            if not isinstance(side, (ComparisonExpression, ConjunctionExpression)):
                raise compile_error(f"& and | combine conditions, got {type(side).__name__}")
        self.lhs, self.op, self.rhs = lhs, op, rhs

    def refs(self) -> list[Ref]:
        return self.lhs.refs() + self.rhs.refs()

    def eval(self, results: dict[str, dict[str, Any]]) -> bool:
        if self.op == "and":
            return self.lhs.eval(results) and self.rhs.eval(results)
        return self.lhs.eval(results) or self.rhs.eval(results)

    def __and__(self, other: Any) -> ConjunctionExpression:
        return ConjunctionExpression(self, "and", other)

    def __or__(self, other: Any) -> ConjunctionExpression:
        return ConjunctionExpression(self, "or", other)

    def __bool__(self) -> bool:
        raise compile_error("conditions cannot use Python's and/or/not/if: use & and |, and conditional()")

    def __repr__(self) -> str:
        return f"({self.lhs!r} {self.op} {self.rhs!r})"
