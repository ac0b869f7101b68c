"""The training-job runner: an executor interface and its local worker-process version."""
