"""What the portal accepts as text: what people type, less invisible control characters, and,
in answers and names, less the invisible formatting characters that can disguise text."""

from __future__ import annotations

import re

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    """Text as typed, less the control characters nobody types (NUL and the like), which
    databases refuse and displays garble. Tabs and line breaks stay."""
    return CONTROL_CHARACTERS.sub("", value)


# Invisible characters with no place in a name or an answer: the bidirectional controls, which
# can make "Smith" display as another name or reorder a line shown to hub staff, and the
# zero-width spaces, joiners of words and byte-order marks that make two equal-looking names
# differ (often pasted from a word processor). The zero-width joiner and non-joiner stay: some
# scripts and emoji need them.
INVISIBLE_FORMATTING = re.compile(
    "[\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)


def visible_text(value: str) -> str:
    """Text for an answer or a name: as typed, less control characters and the invisible
    formatting characters above (silently: nobody means to type them)."""
    return INVISIBLE_FORMATTING.sub("", clean_text(value))
