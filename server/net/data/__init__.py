"""Datasets and images: the shipped MNIST, downloads, zip archives, uploads, synthetic sets."""
