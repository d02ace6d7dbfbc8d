"""Inputs: kubeconfig files, the inventory, the policy, waivers, and the targets they select."""
