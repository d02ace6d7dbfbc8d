"""The fleet under load: thousands of targets, a collector that needs no network.

A thread pool's supervising loop once iterated a dict that its workers wrote to
(``RuntimeError: dictionary changed size during iteration``), which lost every cluster's
result of a 3,000-cluster scan. The pool is now coroutines on one event loop; here thousands
of targets still finish at random moments while some overrun the budget.

The budget is far above the fast collectors' work and far below the slow ones' sleep, so the
test does not depend on the machine's load: a loaded machine may make a fast collector
overrun too (it is then a timeout, as it should be), but never a slow one finish.
"""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from scanner.collect import BUDGET_MARGIN, collect_all
from scanner.inputs.targets import Target
from scanner.kube import loop
from scanner.model import ErrorCategory, Observation, Role
from scanner.versions import parse_git_version

VERSION = parse_git_version("v1.33.7-4")


def test_thousands_of_targets_each_have_exactly_one_result(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("scanner.collect.BUDGET_MARGIN", 0.0)
    count, budget = 4000, 1.0
    slow = {f"c{i}" for i in random.Random(7).sample(range(count), 40)}  # 1% overrun
    targets = [Target(f"c{i}", Role.WORKLOAD, f"c{i}") for i in range(count)]
    calls: dict[str, int] = {}

    async def collector(target: Target) -> Observation:
        calls[target.context] = calls.get(target.context, 0) + 1
        await asyncio.sleep(budget * 6 if target.context in slow else random.random() * 0.004)
        return Observation(target.context, version=VERSION)

    started = time.monotonic()
    observations = loop.run(collect_all(targets, collector, concurrency=64, budget=budget))
    took = time.monotonic() - started
    assert [o.context for o in observations] == [t.context for t in targets]
    timed_out = {o.context for o in observations if o.error is not None}
    assert slow <= timed_out  # every overrun is cut at its budget
    assert len(timed_out - slow) < count // 10  # a fast one only under extreme load
    assert all(o.error.category is ErrorCategory.TIMEOUT for o in observations if o.error)
    assert all(o.version == VERSION for o in observations if o.context not in timed_out)
    assert set(calls) == {t.context for t in targets} and set(calls.values()) == {1}
    # Nothing waits for the slow collectors to finish (each sleeps six budgets).
    assert took < budget * 6


def test_budget_margin_is_small() -> None:
    assert 0 < BUDGET_MARGIN <= 5
