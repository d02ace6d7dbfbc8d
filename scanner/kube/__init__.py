"""The kube client layer: connections and credentials, one reader for every API read,
and the classification of every failure into a SPEC 4 error category."""
