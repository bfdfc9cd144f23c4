"""The bucketing rule of the contract: which of 10,000 buckets a key falls in.

``bucket = fmix64(fnv1a64(utf8(salt + ":" + key))) mod 10000``; a key is inside a rollout of
P basis points when its bucket is below P. Keys are hashed as their UTF-8 bytes with no
Unicode normalisation, and a key that is not valid UTF-8 (a ``str`` holding a lone surrogate)
is refused rather than guessed at: the contract's rule, and the Swift client's.
"""
from __future__ import annotations

import functools

BUCKETS = 10_000
_MASK = (1 << 64) - 1
_OFFSET_BASIS = 0xCBF29CE484222325
_PRIME = 0x100000001B3
_MIX1 = 0xFF51AFD7ED558CCD
_MIX2 = 0xC4CEB9FE1A85EC53


class InvalidKey(ValueError):
    """A key (or salt) that is not valid UTF-8, so it has no bucket under the contract."""


def _utf8(text: str, what: str) -> bytes:
    if not isinstance(text, str):
        raise TypeError(f"a {what} is a str, not {type(text).__name__}")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidKey(f"the {what} is not valid UTF-8 (character {error.start} is a lone surrogate), "
                         "so it has no bucket; pass the text the key really is") from None


def refuse_key(key) -> None:
    """Raises the one-sentence error for a key the hash refused (see :func:`hasher`)."""
    _utf8(key, "key")


def _fnv1a(state: int, data: bytes) -> int:
    for byte in data:
        state = ((state ^ byte) * _PRIME) & _MASK
    return state


try:
    from ._speedups import bucket_from as _bucket_from_c
except ImportError:   # no compiler when it was installed: the pure-Python hash, same answers, slower
    _bucket_from_c = None

#: Whether the C hash is in use (``pip install`` builds it when a C compiler is there).
ACCELERATED = _bucket_from_c is not None


def hasher(salt: str, accelerated: bool = True):
    """A function ``key -> bucket`` for one salt, with the salt's part of the hash done once.

    The function is what ``Client.route`` calls on every request: the C hash when it was built
    (about 0.1 µs), else pure Python (4 to 10 µs for keys of 7 to 36 bytes). ``accelerated=False`` asks for the Python one.
    A key that is not valid UTF-8 raises ``UnicodeEncodeError`` and one that is not a ``str``
    ``TypeError`` or ``AttributeError``; :func:`refuse_key` turns either into the sentence.
    """
    start = _fnv1a(_OFFSET_BASIS, _utf8(salt, "salt") + b":")
    if accelerated and _bucket_from_c is not None:
        return functools.partial(_bucket_from_c, start)   # no Python frame between the caller and C
    prime, mask, mix1, mix2 = _PRIME, _MASK, _MIX1, _MIX2

    def bucket_of(key: str) -> int:
        h = start
        for byte in key.encode():
            h = ((h ^ byte) * prime) & mask
        h ^= h >> 33
        h = (h * mix1) & mask
        h ^= h >> 33
        h = (h * mix2) & mask
        h ^= h >> 33
        return h % 10000

    return bucket_of


def bucket(salt: str, key: str) -> int:
    """The bucket (0–9999) of ``key`` in the migration whose name is ``salt``.

    Raises :class:`InvalidKey` (a ``ValueError``) for text that is not valid UTF-8.
    """
    h = _fnv1a(_OFFSET_BASIS, _utf8(salt, "salt") + b":" + _utf8(key, "key"))
    h ^= h >> 33
    h = (h * _MIX1) & _MASK
    h ^= h >> 33
    h = (h * _MIX2) & _MASK
    h ^= h >> 33
    return h % BUCKETS
