"""What a value read from the control store looks like in a log line: control characters, bidi
overrides, line separators and lone surrogates replaced with ``?``, and long text cut, so a hostile row can
neither forge log lines nor rearrange a terminal (the rule of migctl's ``terminalSafe``)."""
from __future__ import annotations

import re

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]")


def safe(value, limit: int = 200) -> str:
    """``value`` as text fit for a log line or a terminal, at most ``limit`` characters."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    return _UNSAFE.sub("?", text)
