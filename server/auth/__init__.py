"""Sign-in (issue 14): tokens, their hashes, and slowing down repeated failures.

Pure Python (no fastapi): server/api/auth.py is the HTTP side."""
