"""upgrade-scanner: pre-upgrade readiness of a Kubernetes multi-cluster platform."""

__version__ = "0.1.0"
