"""Option groups shared by several commands (click decorators, no logic)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from scanner import defaults
from scanner.formats import FILE_FORMATS

F = TypeVar("F", bound=Callable[..., Any])
Decorator = Callable[[F], F]


def _apply(func: F, decorators: list[Any]) -> F:
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


KUBECONFIG = click.option(
    "--kubeconfig",
    "kubeconfigs",
    multiple=True,
    metavar="PATH",
    help="Kubeconfig file (repeatable). Default: the KUBECONFIG list, else ~/.kube/config.",
)
GLOBAL_CONTEXT = click.option(
    "--global-context", metavar="NAME", help="The global cluster's context [current-context]."
)
INVENTORY = click.option(
    "--inventory", metavar="FILE", help="YAML/JSON: per context kind, display_name, owner."
)
EXCLUDE = click.option(
    "--exclude", "excludes", multiple=True, metavar="PATTERN", help="Contexts to leave out."
)
POLICY = click.option(
    "--policy", "policy_path", metavar="FILE", help="Policy file replacing the bundled one."
)


def timeout_option(help_text: str) -> Any:
    return click.option(
        "--timeout",
        type=click.FloatRange(min=0.1),
        default=defaults.TIMEOUT,
        show_default=True,
        metavar="SECONDS",
        help=help_text,
    )


class Duration(click.ParamType):
    """``24h``, ``7d``: a whole number and a unit (s, m, h, d, w)."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from scanner.durations import parse_duration

        if not isinstance(value, str):
            return value
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


TIMEOUT = timeout_option("Connect and read limit of each request and of an exec plugin.")
NO_DISCOVERY = click.option(
    "--no-discovery",
    is_flag=True,
    help="Do not read the global cluster's platform records (clusters, kinds, current "
    "version, preflight).",
)


PLATFORM_PROXY = [
    click.option(
        "--platform-url",
        metavar="URL",
        help="The platform address: recorded clusters with no context are scanned at "
        "URL/kubernetes/<cluster> with the global context's credentials [derived from the "
        "global context's server or its acp.io/v1 extension].",
    ),
    click.option(
        "--no-platform-proxy",
        is_flag=True,
        help="Report recorded clusters with no context from their record instead of "
        "scanning them through the platform.",
    ),
]


def platform_proxy_options(func: F) -> F:
    return _apply(func, PLATFORM_PROXY)


def contexts_option(help_text: str) -> Any:
    return click.option("--context", "contexts", multiple=True, metavar="PATTERN", help=help_text)


def selection_options(func: F) -> F:
    """Where contexts come from and which play which role (scan, contexts)."""
    workloads = contexts_option("Workload contexts, shell glob (repeatable) [every other context].")
    return _apply(func, [KUBECONFIG, GLOBAL_CONTEXT, workloads, EXCLUDE, INVENTORY])


def candidate_options(func: F) -> F:
    """Contexts to check, with no global role (onboarding)."""
    candidates = contexts_option("Contexts to check, shell glob (repeatable) [every context].")
    return _apply(func, [KUBECONFIG, candidates, EXCLUDE, INVENTORY])


def collect_option_group(func: F) -> F:
    return _apply(
        func,
        [
            TIMEOUT,
            click.option(
                "--retries",
                type=click.IntRange(min=0, max=10),
                default=defaults.RETRIES,
                show_default=True,
                metavar="N",
                help="Retries on connection errors and 5xx.",
            ),
            click.option(
                "--concurrency",
                type=click.IntRange(min=1, max=512),
                default=defaults.CONCURRENCY,
                show_default=True,
                metavar="N",
                help="Clusters scanned at once.",
            ),
            click.option("--no-nodes", is_flag=True, help="Skip node collection."),
        ],
    )


def ui_options(func: F) -> F:
    return _apply(
        func,
        [
            click.option("-q", "--quiet", is_flag=True, help="Print only the verdict line."),
            click.option("-v", "--verbose", is_flag=True, help="Log each request to stderr."),
            click.option("--no-progress", is_flag=True, help="No progress counter on stderr."),
        ],
    )


def attach_options(func: F) -> F:
    """Where to attach the reports (scan, attach)."""
    return _apply(
        func,
        [
            click.option(
                "--jira-url",
                metavar="URL",
                help="Jira base URL (Cloud or Data Center); with --issue.",
            ),
            click.option("--issue", metavar="KEY", help="Jira issue to attach the reports to."),
            click.option(
                "--servicenow-url", metavar="URL", help="ServiceNow instance URL; with --change."
            ),
            click.option(
                "--change", metavar="NUMBER", help="Change request to attach the reports to."
            ),
            click.option(
                "--webhook",
                metavar="URL",
                envvar="UPGRADE_SCANNER_WEBHOOK_URL",
                help="POST a JSON summary to this URL [env UPGRADE_SCANNER_WEBHOOK_URL].",
            ),
        ],
    )


def output_options(func: F) -> F:
    """A file flag per report format, ``--template-dir`` and ``--redact`` (scan, report)."""
    formats = [
        click.option(
            f.flag,
            f"{f.name}_path",
            metavar="FILE",
            help=f"Write the {f.name} report ('-' = stdout).",
        )
        for f in FILE_FORMATS
        if f.flag
    ]
    return _apply(
        func,
        [
            click.option(
                "--redact",
                is_flag=True,
                help="Replace server URLs and host names with placeholders.",
            ),
            click.option(
                "--template-dir",
                metavar="DIR",
                help="Your templates, tried before the built-in ones.",
            ),
            *formats,
            click.option(
                "--pdf",
                "pdf_path",
                metavar="FILE",
                help="Write the HTML report printed to PDF (needs headless Chromium).",
            ),
        ],
    )


ROADMAP = [
    click.option(
        "--steps-per-window",
        type=click.IntRange(min=1, max=10),
        default=defaults.STEPS_PER_WINDOW,
        show_default=True,
        metavar="N",
        help="Roadmap: Kubernetes minors one cluster climbs in one maintenance window.",
    ),
    click.option(
        "--max-parallel",
        type=click.IntRange(min=1),
        default=defaults.MAX_PARALLEL,
        show_default=True,
        metavar="N",
        help="Roadmap: workload clusters upgraded at once in one window (the vendor's limit "
        "on 4.0-4.2 is 20).",
    ),
    click.option(
        "--stall-runs",
        type=click.IntRange(min=2),
        default=defaults.STALL_RUNS,
        show_default=True,
        metavar="N",
        help="Roadmap, with --output-dir: a cluster whose remaining steps did not change over "
        "the last N runs while the fleet's did is stalled.",
    ),
]


def roadmap_options(func: F) -> F:
    return _apply(func, ROADMAP)
