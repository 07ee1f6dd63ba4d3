"""Conditionals: only the chosen branch runs (flytekit's reference example, with `await` added).

python examples/conditional.py
"""

from __future__ import annotations

import asyncio

from aioflyte import conditional, task, workflow


@task
def square(n: float) -> float:
    print(f"  square({n})")
    return n * n


@task
def double(n: float) -> float:
    print(f"  double({n})")
    return 2 * n


@workflow
def multiplier(my_input: float) -> float:
    return (
        conditional("fractions")
        .if_((my_input > 0.1) & (my_input < 1.0))
        .then(
            conditional("inner_fractions")
            .if_(my_input < 0.5)
            .then(double(n=my_input))
            .elif_((my_input > 0.5) & (my_input < 0.7))
            .then(square(n=my_input))
            .else_()
            .fail("Only <0.7 allowed")
        )
        .elif_((my_input > 1.0) & (my_input < 10.0))
        .then(square(n=my_input))
        .else_()
        .then(double(n=my_input))
    )


async def main() -> None:
    for value in (0.3, 0.6, 5.0, 20.0, 0.8):
        print(f"multiplier(my_input={value}):")
        try:
            print(f"  -> {await multiplier(my_input=value)}")
        except ValueError as e:
            print(f"  -> failed: {e}")


if __name__ == "__main__":
    asyncio.run(main())
