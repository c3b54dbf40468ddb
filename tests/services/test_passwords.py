"""The password policy, rule by rule as the help guide states it, and password hashing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.services import passwords
from app.services.passwords import (
    HISTORY_RULE_TEXT,
    MAX_LENGTH,
    MIN_LENGTH,
    RULES,
    checklist,
    hash_password,
    is_common,
    password_problems,
    verify_password,
)

# The help guide's sentences, in the guide's order.
LENGTH = "It must be at least 12 characters long"
LETTER = "It must contain at least one letter"
ALLOWED = "It must contain only letters, digits, and special characters (such as ?,!,%)"
UPPER = "It must contain at least one upper-case letter"
DIGIT = "It must contain at least one numerical digit"
SPECIAL = "It must contain at least one special character"
COMMON = "It must not be a common password, or a common word with numbers or symbols added"
TOO_LONG = "It must be 128 characters or fewer"
HISTORY = "It must be different to your current password and your previous passwords"

GOOD = "Kettle-Spoon-7x"  # Meets every rule.


def padded(length: int) -> str:
    """A password that meets every rule except, perhaps, the length limits."""
    return ("Kettle-Spoon-7" + "x" * length)[:length]


def broken_rules(password: str) -> list[str]:
    return [rule.id for rule, ok in checklist(password) if not ok]


@pytest.fixture
def fast_bcrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """bcrypt at its lowest cost: the same algorithm, without the deliberate slowness."""
    monkeypatch.setattr(passwords, "BCRYPT_COST", 4)


# --- The rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "broken", "why"),
    [
        # Length
        pytest.param("Kettle-Spo7", ["length"], "11 characters is too short", id="11-chars"),
        pytest.param("Kettle-Spo7x", [], "exactly 12 characters is long enough", id="12-chars"),
        pytest.param(padded(128), [], "128 characters is the longest allowed", id="128-chars"),
        # Over 128 is not a checklist rule: password_problems reports it (tested below).
        pytest.param(padded(129), [], "too long is not 'too short'", id="129-chars"),
        pytest.param(
            "नमस्ते-Delhi-2024!", [], "Devanagari vowel signs are part of letters", id="devanagari"
        ),
        pytest.param("Kettle-Spoon-7❤️", [], "an emoji with its variation selector", id="heart"),
        pytest.param("Kettle-Spoon-7👩‍💻", [], "an emoji joined by a zero-width joiner", id="zwj"),
        pytest.param("Kettle-Spoon7´", [], "a typed accent is a special character", id="acute"),
        pytest.param(
            "kettle-spoon-7🅰", ["upper"], "🅰 is a symbol, not an upper-case letter", id="symbol-a"
        ),
        pytest.param(
            "Marmot-Quasar-Oboe-Plinth-Saffron-47!",
            [],
            "a long random passphrase is welcome",
            id="long-passphrase",
        ),
        # Letters
        pytest.param(
            "1234-5678-90!",
            ["letter", "upper"],
            "no letter at all, so no upper-case letter either",
            id="no-letter",
        ),
        pytest.param("kettle-spoon-7", ["upper"], "no upper-case letter", id="no-upper"),
        pytest.param(
            "Größenwahn-2024!", [], "letters with accents and ß are letters", id="german-letters"
        ),
        pytest.param("ΣΩκράτης-2024!", [], "Greek capitals count as upper-case", id="greek-upper"),
        pytest.param(
            "Достоевский-1821!", [], "Cyrillic capitals count as upper-case", id="cyrillic-upper"
        ),
        pytest.param(
            "σωκράτης-2024!",
            ["upper"],
            "Greek in lower case only has no upper-case letter",
            id="greek-lower-only",
        ),
        pytest.param(
            "ＫＥＴＴＬＥ-spoon-7",
            [],
            "full-width letters are normalised to ordinary ones",
            id="full-width-letters",
        ),
        # Digits
        pytest.param("Kettle-Spoon-Tea", ["digit"], "no digit", id="no-digit"),
        pytest.param(
            "Kettle-Spoon-٣!", [], "digits from other scripts are digits", id="arabic-indic-digit"
        ),
        # Special characters
        pytest.param("KettleSpoon77", ["special"], "no special character", id="no-special"),
        pytest.param(
            "KettleSpoon7🙂", [], "an emoji (a symbol, So) is a special character", id="emoji"
        ),
        pytest.param(
            "KettleSpoon7£", [], "a currency sign (Sc) is a special character", id="pound-sign"
        ),
        # Only letters, digits and special characters
        pytest.param("Kettle Spoon 7!", ["allowed"], "a space is not allowed", id="space"),
        pytest.param(
            "Kettle Spoon 77",
            ["allowed", "special"],
            "a space is neither allowed nor a special character",
            id="space-as-only-separator",
        ),
        pytest.param(
            "Kettle\u00a0Spoon-7", ["allowed"], "a non-breaking space is a space", id="nbsp"
        ),
        pytest.param("Kettle\tSpoon-7", ["allowed"], "a tab is not allowed", id="tab"),
        pytest.param("Kettle-Spoon-7\n", ["allowed"], "a newline is not allowed", id="newline"),
        pytest.param("Kettle-Spoon-7\x00", ["allowed"], "NUL is not allowed", id="nul"),
        pytest.param("Kettle-Spoon-7\x1b", ["allowed"], "ESC is not allowed", id="escape"),
        # Common passwords
        pytest.param("Password123!", ["common"], "'password' is a common word", id="password"),
        pytest.param("Qwerty123456!", ["common"], "'qwerty' is a common word", id="qwerty"),
        pytest.param("Liverpool2024!", ["common"], "'liverpool' is a common word", id="liverpool"),
        pytest.param(
            "!!Sunshine99", ["common"], "symbols in front do not hide the word", id="sunshine"
        ),
        pytest.param(
            "LIVERPOOL2024!",
            ["common"],
            "capitals do not hide the word",
            id="common-upper-case",
        ),
        # Everything at once
        pytest.param(
            "",
            ["length", "letter", "allowed", "upper", "digit", "special", "common"],
            "an empty password breaks every rule",
            id="empty",
        ),
    ],
)
def test_rules(password: str, broken: list[str], why: str) -> None:
    assert broken_rules(password) == broken, why


def test_length_limits_are_the_guides() -> None:
    assert (MIN_LENGTH, MAX_LENGTH) == (12, 128)
    assert len(padded(128)) == 128
    assert len(padded(129)) == 129


def test_checklist_lists_every_rule_in_the_guides_order() -> None:
    assert [(rule.id, rule.text) for rule, _ in checklist(GOOD)] == [
        ("length", LENGTH),
        ("letter", LETTER),
        ("allowed", ALLOWED),
        ("upper", UPPER),
        ("digit", DIGIT),
        ("special", SPECIAL),
        ("common", COMMON),
    ]
    assert all(ok for _, ok in checklist(GOOD))


# --- password_problems ----------------------------------------------------------------------


def test_an_acceptable_password_has_no_problems() -> None:
    assert password_problems(GOOD) == []


def test_problems_are_the_guides_sentences_in_order() -> None:
    assert password_problems("") == [LENGTH, LETTER, ALLOWED, UPPER, DIGIT, SPECIAL, COMMON]
    assert password_problems("kettle spoon") == [ALLOWED, UPPER, DIGIT, SPECIAL]
    assert password_problems("Liverpool2024!") == [COMMON]
    assert HISTORY_RULE_TEXT == HISTORY


def test_problems_for_an_over_long_password_say_how_long_it_may_be() -> None:
    assert password_problems(padded(128)) == []
    problems = password_problems(padded(129))
    assert TOO_LONG in problems
    assert problems[0] == TOO_LONG


def test_an_over_long_password_is_not_told_it_is_too_short() -> None:
    assert password_problems(padded(129)) == [TOO_LONG]


@pytest.mark.usefixtures("fast_bcrypt")
def test_reusing_the_current_password_is_refused() -> None:
    assert password_problems(GOOD, earlier_hashes=[hash_password(GOOD)]) == [HISTORY]


@pytest.mark.usefixtures("fast_bcrypt")
def test_reusing_a_previous_password_is_refused() -> None:
    earlier = [hash_password(p) for p in ("Current-Pass-1", GOOD, "Older-Pass-22")]
    assert password_problems(GOOD, earlier_hashes=earlier) == [HISTORY]


@pytest.mark.usefixtures("fast_bcrypt")
def test_a_new_password_is_not_a_reuse() -> None:
    earlier = [hash_password(p) for p in ("Current-Pass-1", "Older-Pass-22")]
    assert password_problems(GOOD, earlier_hashes=earlier) == []


@pytest.mark.usefixtures("fast_bcrypt")
def test_history_is_only_reported_when_every_other_rule_passes() -> None:
    weak = "kettle-spoon"
    problems = password_problems(weak, earlier_hashes=[hash_password(weak)])
    assert problems == [UPPER, DIGIT]
    assert HISTORY not in problems


def test_history_is_not_even_checked_when_another_rule_fails() -> None:
    def earlier_hashes() -> Iterator[str]:
        pytest.fail("the earlier hashes were read although the password breaks a rule")
        yield ""  # pragma: no cover

    assert password_problems("kettle-spoon", earlier_hashes=earlier_hashes()) == [UPPER, DIGIT]


# --- Hashing --------------------------------------------------------------------------------


def test_default_cost_is_12() -> None:
    assert passwords.BCRYPT_COST == 12
    password_hash = hash_password(GOOD)
    assert password_hash.startswith("$2b$12$")
    assert verify_password(GOOD, password_hash)


@pytest.mark.usefixtures("fast_bcrypt")
def test_fixture_lowers_the_cost() -> None:
    assert hash_password(GOOD).startswith("$2b$04$")


@pytest.mark.usefixtures("fast_bcrypt")
def test_the_same_password_verifies() -> None:
    assert verify_password(GOOD, hash_password(GOOD))


@pytest.mark.usefixtures("fast_bcrypt")
def test_each_hash_has_its_own_salt() -> None:
    first, second = hash_password(GOOD), hash_password(GOOD)
    assert first != second
    assert verify_password(GOOD, first)
    assert verify_password(GOOD, second)


@pytest.mark.usefixtures("fast_bcrypt")
def test_a_different_password_does_not_verify() -> None:
    password_hash = hash_password(GOOD)
    assert not verify_password("Kettle-Spoon-7y", password_hash)
    assert not verify_password(GOOD.lower(), password_hash)
    assert not verify_password("", password_hash)


@pytest.mark.parametrize(
    "malformed",
    [
        pytest.param("", id="empty"),
        pytest.param("not a hash", id="text"),
        pytest.param("$2b$04$tooshort", id="truncated"),
        pytest.param("$2b$04$" + "£" * 53, id="non-ascii"),
    ],
)
def test_a_malformed_hash_does_not_verify(malformed: str) -> None:
    assert verify_password(GOOD, malformed) is False


@pytest.mark.usefixtures("fast_bcrypt")
@pytest.mark.parametrize(
    ("prefix"),
    [
        pytest.param("A" * 72, id="ascii"),
        pytest.param("é" * 36, id="two-byte-characters"),
    ],
)
def test_passwords_differing_after_72_bytes_are_different(prefix: str) -> None:
    assert len(prefix.encode("utf-8")) == 72
    first, second = prefix + "Kettle-1!", prefix + "Spoon-2?"
    assert not verify_password(second, hash_password(first))
    assert not verify_password(first, hash_password(second))
    assert verify_password(first, hash_password(first))


@pytest.mark.usefixtures("fast_bcrypt")
def test_a_long_non_ascii_password_hashes_and_verifies() -> None:
    password = ("Größenwahn-2024-Σωκράτης-Достоевский-🙂-" * 3)[:100]
    assert len(password) == 100
    assert len(password.encode("utf-8")) > 72
    assert password_problems(password) == []
    password_hash = hash_password(password)
    assert verify_password(password, password_hash)
    assert not verify_password(password[:-1] + "!", password_hash)


@pytest.mark.usefixtures("fast_bcrypt")
def test_composed_and_decomposed_accents_are_the_same_password() -> None:
    composed = "Caf\u00e9-Kettle-7!"  # é as one character
    decomposed = "Cafe\u0301-Kettle-7!"  # e followed by a combining acute accent
    assert composed != decomposed
    assert verify_password(decomposed, hash_password(composed))
    assert verify_password(composed, hash_password(decomposed))
    assert broken_rules(composed) == broken_rules(decomposed) == []


# --- Common passwords -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    ["password", "PASSWORD", "PaSsWoRd", "liverpool", "LIVERPOOL", "LiVeRpOoL2024!"],
)
def test_is_common_ignores_case(password: str) -> None:
    assert is_common(password)


@pytest.mark.parametrize(
    "password", ["Größenwahn-2024!", GOOD, "Marmot-Quasar-Oboe-Plinth-Saffron-47!"]
)
def test_uncommon_passwords_are_not_common(password: str) -> None:
    assert not is_common(password)


def test_short_words_are_not_checked_as_a_core() -> None:
    # "love" is a common password, but a letters-only core is only compared with the list when
    # it has 5 or more letters.
    assert is_common("love")
    assert not is_common("Love!123456789")


def test_rules_have_unique_ids() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))


def test_a_common_password_in_full_width_letters_is_refused() -> None:
    """The rules judge what is hashed as well as what was typed: full-width letters and digits
    are hashed as their plain forms, so the common password would otherwise get in."""
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in "Password123!")
    assert passwords.normalise(full_width) == "Password123!"
    assert passwords.password_problems("Password123!") == [passwords.RULES[-1].text]
    assert passwords.RULES[-1].text in passwords.password_problems(full_width)
