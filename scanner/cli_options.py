"""Option groups shared by several commands (click decorators, no logic)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def selection_options(func: F) -> F:
    decorators = [
        click.option(
            "--kubeconfig",
            "kubeconfigs",
            multiple=True,
            metavar="PATH",
            help="Kubeconfig file (repeatable). Default: the KUBECONFIG list, else ~/.kube/config.",
        ),
        click.option(
            "--global-context",
            metavar="NAME",
            help="The global cluster's context [current-context].",
        ),
        click.option(
            "--context",
            "contexts",
            multiple=True,
            metavar="PATTERN",
            help="Workload contexts, shell glob (repeatable) [every other context].",
        ),
        click.option(
            "--exclude", "excludes", multiple=True, metavar="PATTERN", help="Contexts to leave out."
        ),
        click.option(
            "--inventory", metavar="FILE", help="YAML/JSON: per context kind, display_name, owner."
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def collect_options(func: F) -> F:
    decorators = [
        click.option(
            "--timeout",
            type=click.FloatRange(min=0.1),
            default=10.0,
            show_default=True,
            help="Connect and read limit of each request and of an exec plugin, seconds.",
        ),
        click.option(
            "--retries",
            type=click.IntRange(min=0, max=10),
            default=1,
            show_default=True,
            help="Retries on connection errors and 5xx.",
        ),
        click.option(
            "--concurrency",
            type=click.IntRange(min=1, max=512),
            default=32,
            show_default=True,
            help="Clusters scanned at once.",
        ),
        click.option("--no-nodes", is_flag=True, help="Skip node collection."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def ui_options(func: F) -> F:
    decorators = [
        click.option("-q", "--quiet", is_flag=True, help="Print only the verdict line."),
        click.option("-v", "--verbose", is_flag=True, help="Log each request to stderr."),
        click.option("--no-progress", is_flag=True, help="No progress counter on stderr."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func
