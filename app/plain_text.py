"""What the portal accepts as text: what people type, less invisible control characters."""

from __future__ import annotations

import re

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    """Text as typed, less the control characters nobody types (NUL and the like), which
    databases refuse and displays garble. Tabs and line breaks stay."""
    return CONTROL_CHARACTERS.sub("", value)
