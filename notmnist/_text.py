"""Words for counts in the package's messages: `plural(1, "group")` is `"1 group"`."""

from __future__ import annotations


def plural(n: int, word: str, words: str | None = None) -> str:
    """`n` with thousands separators and `word`, or `words` (default `word + "s"`) unless n is 1."""
    return f"{n:,} {word if n == 1 else words or word + 's'}"
