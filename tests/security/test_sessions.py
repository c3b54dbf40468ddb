from __future__ import annotations

import pytest

from app.security.sessions import safe_return_path


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/account", "/account"),
        (
            "/referrals/EH-2026-000001/sections/consent",
            "/referrals/EH-2026-000001/sections/consent",
        ),
        ("//evil.example/login", None),
        ("https://evil.example/", None),
        ("/\\evil.example", None),
        ("account", None),
        ("", None),
        (None, None),
        (42, None),
    ],
    ids=[
        "path",
        "deep-path",
        "protocol-relative",
        "absolute",
        "backslash",
        "relative",
        "empty",
        "none",
        "not-a-string",
    ],
)
def test_only_same_site_paths_are_returned_to(value: object, expected: str | None) -> None:
    assert safe_return_path(value) == expected
