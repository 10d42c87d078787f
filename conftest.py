"""The examples of README.md and docs/*.md are tests: see tests/docs/doc_examples.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sybil.evaluators.skip import Skipper

# As pytest does for the suite's own support modules: imported by name from their directory.
sys.path.insert(0, str(Path(__file__).parent / "tests" / "docs"))

from doc_examples import collector, is_slow, page_environment

__all__ = ["page_environment"]

pytest_collect_file = collector()


def _evaluator(item: pytest.Item | None) -> object:
    example = getattr(item, "example", None)
    return None if example is None else example.region.evaluator


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Examples that start processes (shell commands, pytest runs) are the slow lane's, and so
    is a skip directive before one (Sybil's directive acts on the example run after it)."""
    for item, after in zip(items, [*items[1:], None], strict=True):
        evaluator = _evaluator(item)
        skips_a_slow_one = (
            isinstance(evaluator, Skipper)
            and after is not None
            and after.parent is item.parent
            and is_slow(_evaluator(after))
        )
        if is_slow(evaluator) or skips_a_slow_one:
            item.add_marker(pytest.mark.slow)
