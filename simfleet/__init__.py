"""A simulated fleet of Kubernetes API servers on 127.0.0.1, for tests, demos and benchmarks.

    with Fleet(fleets.demo(), lifetime=120) as fleet:
        fleet.write_kubeconfig("kubeconfig.yaml")

Not part of the installed package; it needs trustme (the `demo` extra).
"""

from simfleet import fleets
from simfleet.fleet import Fleet
from simfleet.spec import ClusterSpec, Failure, NodeSpec
from simfleet.state import ClusterStats

__all__ = ["ClusterSpec", "ClusterStats", "Failure", "Fleet", "NodeSpec", "fleets"]
