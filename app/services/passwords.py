"""The password policy, in the help guide's words, and password hashing.

The policy is a list of rules, each with the sentence users see; the same list draws the
checklist beside the password fields, ticks it as the user types, and validates on submit.
"""

from __future__ import annotations

import base64
import hashlib
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

import bcrypt

MIN_LENGTH = 12
# Long passphrases are welcome; this only stops absurd input. bcrypt's 72-byte limit does not
# apply: passwords are pre-hashed with SHA-256 before bcrypt (see `hash_password`).
MAX_LENGTH = 128
BCRYPT_COST = 12
HISTORY_SIZE = 5


def normalise(password: str) -> str:
    """What is hashed: the same password typed on different keyboards or pasted (composed or
    decomposed accents, full-width letters) gives the same characters."""
    return unicodedata.normalize("NFKC", password)


def as_typed(password: str) -> str:
    """What the rules judge: composed, but otherwise as typed. (NFKC would turn a typed acute
    accent into a space and a combining accent, which the rules would then refuse.)"""
    return unicodedata.normalize("NFC", password)


ZERO_WIDTH_JOINER = "\u200d"


def _is_special(character: str) -> bool:
    return unicodedata.category(character)[0] in {"P", "S"}


def _allowed(character: str) -> bool:
    # Marks (M*) let scripts such as Devanagari or Thai, and emoji with variation selectors,
    # count as the letters and symbols they are part of; the joiner builds emoji sequences.
    return (
        character.isalpha()
        or character.isdigit()
        or _is_special(character)
        or unicodedata.category(character)[0] == "M"
        or character == ZERO_WIDTH_JOINER
    )


@cache
def common_passwords() -> frozenset[str]:
    """30,000 most common passwords (zxcvbn's list, as used by many services)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def _core(password: str) -> str:
    """The password without the digits and symbols people add to a word to pass rules."""
    return "".join(c for c in password.lower() if c.isalpha())


def is_common(password: str) -> bool:
    lowered = password.lower()
    core = _core(password)
    return lowered in common_passwords() or (len(core) >= 5 and core in common_passwords())


@dataclass(frozen=True)
class Rule:
    id: str
    text: str
    passes: Callable[[str], bool]


# The help guide's rules, in its order and words; "different to your current and previous
# password" needs the account's history and is checked by `password_problems`.
RULES: tuple[Rule, ...] = (
    Rule(
        "length",
        f"It must be at least {MIN_LENGTH} characters long",
        lambda p: len(p) >= MIN_LENGTH,
    ),
    Rule("letter", "It must contain at least one letter", lambda p: any(c.isalpha() for c in p)),
    Rule(
        "allowed",
        "It must contain only letters, digits, and special characters (such as ?,!,%)",
        lambda p: bool(p) and all(_allowed(c) for c in p),
    ),
    Rule(
        "upper",
        "It must contain at least one upper-case letter",
        # isalpha too: some symbols (🅰) count as upper case to str.isupper.
        lambda p: any(c.isupper() and c.isalpha() for c in p),
    ),
    Rule(
        "digit",
        "It must contain at least one numerical digit",
        lambda p: any(c.isdigit() for c in p),
    ),
    Rule(
        "special",
        "It must contain at least one special character",
        lambda p: any(_is_special(c) for c in p),
    ),
    Rule(
        "common",
        "It must not be a common password, or a common word with numbers or symbols added",
        # Judged on what is hashed too: "Password123!" typed in full-width letters and digits
        # is hashed as "Password123!", and would otherwise let the common password in.
        lambda p: bool(p) and not is_common(p) and not is_common(normalise(p)),
    ),
)
HISTORY_RULE_TEXT = "It must be different to your current password and your previous passwords"


def checklist(password: str) -> list[tuple[Rule, bool]]:
    """Each rule with whether the password meets it: what the checklist beside the field shows."""
    password = as_typed(password)
    return [(rule, rule.passes(password)) for rule in RULES]


def password_problems(password: str, *, earlier_hashes: Iterable[str] = ()) -> list[str]:
    """The sentences for every rule the password breaks; empty when it is acceptable.

    `earlier_hashes` are the account's current and previous hashes (slow: bcrypt each); they
    are only checked once every other rule passes.
    """
    problems = [rule.text for rule, ok in checklist(password) if not ok]
    if len(as_typed(password)) > MAX_LENGTH:
        problems.insert(0, f"It must be {MAX_LENGTH} characters or fewer")
    if not problems and any(verify_password(password, h) for h in earlier_hashes):
        problems.append(HISTORY_RULE_TEXT)
    return problems


def _prehash(password: str) -> bytes:
    # SHA-256 then base64: 44 bytes, always under bcrypt's 72-byte limit, so nothing a user
    # types is silently cut off (bcrypt 5 refuses over-long input; 4.x truncated it).
    digest = hashlib.sha256(normalise(password).encode("utf-8")).digest()
    return base64.b64encode(digest)


def hash_password(password: str) -> str:
    """bcrypt (cost 12) of the pre-hashed password. Slow on purpose: call it off the event loop."""
    return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(BCRYPT_COST)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    """Whether `password` matches. Slow on purpose: call it off the event loop."""
    try:
        return bcrypt.checkpw(_prehash(password), password_hash.encode("ascii"))
    except ValueError:
        return False


@cache
def _dummy_hash() -> str:
    return hash_password("not a real password, used to spend the same time")


def spend_verification_time(password: str) -> None:
    """Check `password` against a dummy hash, so an unknown email takes as long as a known one."""
    verify_password(password, _dummy_hash())
