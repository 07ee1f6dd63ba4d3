"""Tasks with decks, for the server's deck tests (imported by name by the server's task processes)."""

from __future__ import annotations

from aioflyte import Deck, current_context, dynamic, task, workflow
from aioflyte.deck import DeckField, MarkdownRenderer


@task(enable_deck=True)
def report(name: str) -> str:
    Deck("report", MarkdownRenderer().to_html(f"# Report for {name}"))
    current_context().default_deck.append("<p>from the default deck</p>")
    return f"hello {name}"


@task(enable_deck=True, deck_fields=(DeckField.INPUT,))
def failing(n: int) -> int:
    Deck("before the failure", "<p>seen</p>")
    raise ValueError("no good")


@task
def plain(n: int) -> int:
    return n + 1


@workflow
def decked(name: str, n: int) -> tuple[str, int]:
    return report(name=name), plain(n=n)


@workflow
def decked_failure(n: int) -> int:
    return failing(n=n)


@dynamic(enable_deck=True)
def fan_out(n: int) -> list[int]:
    Deck("plan", f"<p>{n} nodes</p>")
    return [plain(n=i) for i in range(n)]


@workflow
def decked_dynamic(n: int) -> list[int]:
    return fan_out(n=n)


@task(enable_deck=True, executor="process")
def report_in_process(name: str) -> str:
    """As ``report``, its body in the process pool of the task's process."""
    Deck("report", MarkdownRenderer().to_html(f"# Report for {name}"))
    current_context().default_deck.append("<p>from the default deck</p>")
    return f"hello {name}"


@task(enable_deck=True, deck_fields=(DeckField.INPUT,), executor="process")
def failing_in_process(n: int) -> int:
    """As ``failing``, its body in the process pool of the task's process."""
    Deck("before the failure", "<p>seen</p>")
    raise ValueError("no good")


@workflow
def decked_in_process(name: str) -> str:
    return report_in_process(name=name)


@workflow
def decked_failure_in_process(n: int) -> int:
    return failing_in_process(n=n)
