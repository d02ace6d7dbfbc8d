"""The platform's own records of the clusters it manages: read through the kube layer,
parsed into records, matched to kubeconfig contexts."""
