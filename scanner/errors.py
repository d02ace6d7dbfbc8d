"""The one family of errors a user can fix, one class per subsystem.

The CLI catches only :class:`ScannerError` subclasses and turns them into one line and exit
code 2; anything else is an internal error (exit 4). Messages say what, where and how to fix.

Inside a subsystem a few exceptions carry a failure to where it becomes a value or one of
these: ``FetchError`` (a read of a cluster, kept as the cluster's error category),
``ConfigProblem`` and ``CredentialError`` (a context that cannot be used: ``config``),
``YamlProblem`` (an input file's parser wording), ``SerialError`` (a report's shape, a
:class:`ReportError`). None of them reaches the user as such.
"""

from __future__ import annotations


class ScannerError(Exception):
    """Base of every input or usage error the user can fix."""


class UsageError(ScannerError):
    """A flag or argument combination that cannot work."""


class KubeconfigError(ScannerError):
    """A kubeconfig file that cannot be read or parsed as a whole."""


class InventoryError(ScannerError):
    """An inventory file that cannot be read or is malformed."""


class PolicyError(ScannerError):
    """A policy file that is missing, malformed, or names an unknown release."""


class ReportError(ScannerError):
    """A report file that cannot be read, written, or is of an unknown schema."""


class WaiverError(ScannerError):
    """A waivers file that cannot be read or is malformed."""


class LockedError(ScannerError):
    """Another run holds the output directory."""


class AttachError(ScannerError):
    """An attachment that cannot start: bad flags or URL, missing credentials or files (a
    failed upload is a result, exit 5, not this)."""


class PdfError(UsageError):
    """The PDF could not be made (no browser, or the browser failed): exit 2."""


class VersionError(ValueError):
    """A Kubernetes or platform version string that cannot be parsed."""


class Terminated(BaseException):
    """SIGTERM, turned into an exception so files are cleaned up like on Ctrl-C (a
    BaseException: no ``except Exception`` may swallow it)."""


def raise_terminated(signum: int, frame: object) -> None:
    """The console script's SIGTERM handler."""
    raise Terminated()
