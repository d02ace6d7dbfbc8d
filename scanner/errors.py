"""One exception family per subsystem.

The CLI catches only :class:`ScannerError` subclasses and turns them into one line and exit
code 2; anything else is an internal error (exit 4). Messages say what, where and how to fix.
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


class VersionError(ValueError):
    """A Kubernetes or platform version string that cannot be parsed."""
