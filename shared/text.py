"""Text as people type it, made safe to store, compare and show: one normal form (NFC, so an
« é » typed as one character or as « e » and an accent is the same), and no invisible
characters that reorder or hide what is shown (bidirectional overrides, zero-width marks)."""

from __future__ import annotations

import re
import unicodedata

# Bidirectional embeddings, overrides and isolates, direction marks, zero-width characters and
# the byte-order mark: none belongs in a name, an organisation or an answer.
INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def clean(text: str) -> str:
    """NFC, invisible characters removed; line breaks and spaces left to the caller."""
    return INVISIBLE.sub("", unicodedata.normalize("NFC", text))
