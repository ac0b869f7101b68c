"""cnnplay server: a FastAPI app hosting PyTorch for the visual CNN playground."""
