"""Training: the loop, its metrics, transfer learning."""
