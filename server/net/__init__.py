"""The pure core: pydantic + torch, never FastAPI."""
