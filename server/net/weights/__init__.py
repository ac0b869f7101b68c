"""Weights: safetensors files, the weights library, checkpoints, weight diffs."""
