"""Text as the portal keeps it (app/plain_text.py): control characters never; in answers and
names, no invisible formatting that could disguise a name shown to hub staff."""

from __future__ import annotations

import pytest

from app.plain_text import clean_text, visible_text


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        pytest.param("Sam\u202eevil", "Samevil", id="right-to-left-override"),
        pytest.param("\u2067Smith\u2069", "Smith", id="right-to-left-isolate"),
        pytest.param("Sam\u200bSmith", "SamSmith", id="zero-width-space"),
        pytest.param("\ufeffSmith", "Smith", id="byte-order-mark"),
        pytest.param("Smi\u00adth", "Smith", id="soft-hyphen"),
        pytest.param("Sam\u200eSmith\u200f", "SamSmith", id="direction-marks"),
        pytest.param("Sam\x00Smith", "SamSmith", id="nul"),
        # What people really type stays: accents, other scripts, joiners some scripts need.
        pytest.param("Zoë O’Brien-Smith", "Zoë O’Brien-Smith", id="accents-and-apostrophe"),
        pytest.param("محمد", "محمد", id="arabic"),
        pytest.param("می\u200cخواهم", "می\u200cخواهم", id="persian-zero-width-non-joiner"),
        pytest.param("👩\u200d👧", "👩\u200d👧", id="emoji-with-joiner"),
        pytest.param("line one\nline two\tend", "line one\nline two\tend", id="lines-and-tabs"),
    ],
)
def test_answers_and_names_keep_what_people_type_and_nothing_invisible(
    typed: str, kept: str
) -> None:
    assert visible_text(typed) == kept


def test_other_text_keeps_formatting_characters_but_not_control_characters() -> None:
    """Passwords and the like go through clean_text only: a joiner in an emoji password, or
    any formatting character someone chose, is theirs."""
    assert clean_text("Pass\u202eword\x00") == "Pass\u202eword"
