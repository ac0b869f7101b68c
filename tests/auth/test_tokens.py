"""server/auth/tokens.py: random tokens, their sha256, constant-time comparison."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from server.auth import tokens


def test_tokens_are_long_random_and_stored_as_sha256() -> None:
    made = {tokens.new_token() for _ in range(100)}
    assert len(made) == 100 and all(len(t) >= 43 for t in made)  # 32 bytes, url-safe
    t = made.pop()
    assert tokens.hash_token(t) == hashlib.sha256(t.encode()).hexdigest()


def test_the_comparison_is_hmac_compare_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(tokens.hmac, "compare_digest", spy)
    assert tokens.same_secret("abc", "abc") and not tokens.same_secret("abd", "abc")
    assert seen == [(b"abc", b"abc"), (b"abd", b"abc")]


def test_class_codes_use_an_unambiguous_alphabet() -> None:
    codes = {tokens.new_class_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 8 and set(c) <= set(tokens.CODE_ALPHABET) for c in codes)
    assert not set("01OIL") & set(tokens.CODE_ALPHABET)
    assert tokens.normal_code(" abcd efgh ") == "ABCDEFGH"
