"""Tokens and their hashes, and the constant-time comparison of the teacher's token.

A token is 32 random bytes from `secrets` (256 bits), written url-safe. It is stored
only as its sha256: a slow password hash (bcrypt, scrypt) exists to make guessing a
*low-entropy* secret from its hash expensive, but nobody can enumerate 2^256 tokens,
so one sha256 is as strong here, and it lets a sign-in find its user by an index
lookup of the hash instead of trying every stored hash. Timing of that lookup leaks
at most something about a hash, from which nothing about a token follows. The
teacher's token is a Setting, compared with `hmac.compare_digest`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

# A class code: short enough to read off a projector, from letters nobody confuses.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8  # 31^8 ~ 8.5e11 codes; guessing is slowed down like tokens are
MAX_TOKEN_CHARS = 200  # anything longer is no token of ours: not even hashed


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_class_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same_secret(given: str, expected: str) -> bool:
    """Constant time in the contents (hmac.compare_digest on the utf-8 bytes)."""
    return hmac.compare_digest(given.encode(), expected.encode())


def normal_code(code: str) -> str:
    """What a student typed as a class code, as it is stored: upper case, no spaces."""
    return "".join(code.split()).upper()
