"""Hostile input for the portal's forms: strings nobody types, bodies no browser sends, and the
field names a form's page would post, drawn from the declared assessment.

A body is a list of (name, value) fields, posted in one of several encodings, some of them
wrong on purpose. A value is text, or raw bytes that need not be UTF-8 at all.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote_from_bytes

from hypothesis import strategies as st

from app.assessment.answer_types import Address, Date, Radios, Table
from app.assessment.answer_types.address import ADDRESS_FIELDS, ADDRESS_LOOKUP_FIELDS
from app.assessment.answer_types.date import DATE_PARTS
from app.assessment.model import Question, Section

Value = str | bytes
Field = tuple[str, Value]

# What a person with bad intentions, or a badly behaved client, puts in a field.
NASTY_STRINGS = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x1b[31mred\x1b[0m",
    "\r\n\r\n",
    "\ufeff",
    "\u202etxt.exe",
    "invoice\u202efdp.exe",
    "zero\u200bwidth\u200d\u2060joiner",
    "\u2066isolate\u2069",
    "\ud800",
    "lone \udfff surrogate",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{7*7}}",
    "{% raw %}{{ config }}",
    "${7*7}",
    "'; DROP TABLE user_account;--",
    "' OR '1'='1",
    '" OR ""="',
    "1; SELECT pg_sleep(10)--",
    "%s%s%s%n",
    "%00",
    "../../../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "²",
    "٣",
    "١٢",
    "৩",
    "１２",
    "½",
    "Ⅻ",
    "-1",
    "0",
    "99999999999999999999999999",
    "1e309",
    "NaN",
    "-0",
    "2026-02-30",
    "31",
    "13",
    "0000",
    "ǅ",
    "Zoë",
    "日本語",
    "🧒🏽",
    "e\u0301",
    "A" * 5001,
    "x" * 100_000,
)

# Raw bytes that are not valid UTF-8: a lone surrogate (as CESU-8), stray continuation bytes,
# an overlong slash, a truncated sequence.
NASTY_BYTES = (
    b"\xed\xa0\x80",
    b"\xed\xbf\xbf",
    b"\xff\xfe",
    b"\x80\x81",
    b"\xc0\xaf",
    b"\xe2\x82",
    b"caf\xe9",
    b"\x00\xff\x00",
)

# Text from every corner of Unicode, lone surrogates included (which `characters()` leaves out).
any_text = st.text(
    alphabet=st.one_of(st.characters(codec=None), st.integers(0xD800, 0xDFFF).map(chr)),
    max_size=40,
)


@st.composite
def long_text(draw: st.DrawFn) -> str:
    """Up to 100,000 characters: one repeated, or a short hostile string repeated."""
    unit = draw(st.sampled_from(["x", "é", "\u202e", "<b>", "٣", "'; --", "\x00", "\U0001f9d2"]))
    length = draw(st.integers(min_value=1_000, max_value=100_000))
    return (unit * (length // len(unit) + 1))[:length]


# Everything at once, 100,000 characters long.
EVERYTHING = (
    "\u202e\u200b\ud800\x00<script>alert(1)</script>{{7*7}}'; DROP TABLE user_account;--"
    "²٣日本\U0001f9d2\r\n"
)
EVERYTHING_LONG = (EVERYTHING * (100_000 // len(EVERYTHING) + 1))[:100_000]
INVALID_UTF8 = b"\xff\xfe\xed\xa0\x80\x00\xc0\xaf\xe2\x82"

hostile_text: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(NASTY_STRINGS), any_text, long_text()
)
hostile_value: st.SearchStrategy[Value] = st.one_of(
    hostile_text,
    hostile_text,
    st.sampled_from(NASTY_BYTES),
    st.binary(max_size=30),
)


def fields_strategy(
    known: list[str], value_for: dict[str, st.SearchStrategy[Value]] | None = None
) -> st.SearchStrategy[list[Field]]:
    """Some of the known fields (some missing, some twice) and a few unknown ones, each with a
    hostile value (or one of the values the field's page offers, from `value_for`)."""
    value_for = value_for or {}

    def value_of(name: str) -> st.SearchStrategy[Value]:
        if name in value_for:
            return st.one_of(value_for[name], hostile_value)
        return hostile_value

    known_field = st.sampled_from(known).flatmap(
        lambda name: st.tuples(st.just(name), value_of(name))
    )
    unknown_field = st.tuples(
        st.one_of(hostile_text, st.sampled_from(["", "[]", "a[b]", "csrf_token"])), hostile_value
    )
    if not known:
        return st.lists(unknown_field, max_size=4)
    return st.lists(st.one_of(known_field, known_field, known_field, unknown_field), max_size=12)


# Encodings -----------------------------------------------------------------------------------

URLENCODED = "urlencoded"
URLENCODED_RAW = "urlencoded-raw"
MULTIPART = "multipart"
MULTIPART_BROKEN = "multipart-broken"
MULTIPART_NO_BOUNDARY = "multipart-no-boundary"
JSON = "json"
TEXT_PLAIN = "text-plain"
EMPTY = "empty"
NO_CONTENT_TYPE = "no-content-type"
ENCODINGS = (
    URLENCODED,
    URLENCODED,
    URLENCODED_RAW,
    MULTIPART,
    MULTIPART,
    MULTIPART_BROKEN,
    MULTIPART_NO_BOUNDARY,
    JSON,
    TEXT_PLAIN,
    EMPTY,
    NO_CONTENT_TYPE,
)
# The encodings the CSRF middleware reads a token from; any other carries it in the header.
FORM_ENCODINGS = frozenset({URLENCODED, URLENCODED_RAW, MULTIPART})


def as_bytes(value: Value) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


@dataclass(frozen=True)
class Body:
    content: bytes
    content_type: str | None


def urlencoded(fields: list[Field], *, raw: bool = False) -> Body:
    """`name=value&...`: percent-encoded as a browser does, or (`raw`) with the bytes as they
    are, only `&`, `=`, `%` and `+` escaped so that the fields stay apart."""

    def encode(value: Value) -> bytes:
        data = as_bytes(value)
        if not raw:
            return quote_from_bytes(data, safe="").encode("ascii")
        for special, escaped in ((b"%", b"%25"), (b"&", b"%26"), (b"=", b"%3D"), (b"+", b"%2B")):
            data = data.replace(special, escaped)
        return data

    content = b"&".join(encode(name) + b"=" + encode(value) for name, value in fields)
    return Body(content, "application/x-www-form-urlencoded")


def multipart(fields: list[Field], files: Sequence[tuple[str, str, bytes]] = ()) -> Body:
    """multipart/form-data: the fields, then (name, filename, bytes) files. Names and values
    go in byte for byte (quotes and backslashes escaped in the headers)."""
    boundary = f"----HostileBoundary{secrets.token_hex(8)}"
    body = bytearray()

    def quoted(text: Value) -> bytes:
        return as_bytes(text).replace(b"\\", b"\\\\").replace(b'"', b'\\"')

    for name, value in fields:
        body += f"--{boundary}\r\n".encode()
        body += b'Content-Disposition: form-data; name="' + quoted(name) + b'"\r\n\r\n'
        body += as_bytes(value) + b"\r\n"
    for name, filename, data in files:
        body += f"--{boundary}\r\n".encode()
        body += (
            b'Content-Disposition: form-data; name="'
            + quoted(name)
            + b'"; filename="'
            + quoted(filename)
            + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        body += data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return Body(bytes(body), f"multipart/form-data; boundary={boundary}")


def encoded(fields: list[Field], encoding: str) -> Body:
    """The fields in the given encoding, the wrong ones included."""
    if encoding == URLENCODED:
        return urlencoded(fields)
    if encoding == URLENCODED_RAW:
        return urlencoded(fields, raw=True)
    if encoding == MULTIPART:
        return multipart(fields)
    if encoding == MULTIPART_BROKEN:
        # The header names one boundary, the body uses another and stops mid-part.
        body = multipart(fields)
        return Body(
            body.content.replace(b"HostileBoundary", b"OtherBoundary")[: len(body.content) // 2]
            + b"\r\n--truncated",
            body.content_type,
        )
    if encoding == MULTIPART_NO_BOUNDARY:
        return Body(multipart(fields).content, "multipart/form-data")
    if encoding == JSON:
        document = {
            as_bytes(name).decode("latin-1"): as_bytes(v).decode("latin-1") for name, v in fields
        }
        return Body(json.dumps(document).encode(), "application/json")
    if encoding == TEXT_PLAIN:
        return Body(b"\n".join(as_bytes(n) + b"=" + as_bytes(v) for n, v in fields), "text/plain")
    if encoding == EMPTY:
        return Body(b"", "application/x-www-form-urlencoded")
    if encoding == NO_CONTENT_TYPE:
        return Body(urlencoded(fields).content, None)
    raise ValueError(encoding)


# Field names from the declared assessment ----------------------------------------------------

# A table item's key, as the server makes them (8 hex digits).
ITEM_KEY = "0a1b2c3d"


def question_fields(question: Question, prefix: str = "") -> list[str]:
    """The names a question's inputs post under."""
    name = prefix + question.id
    if not question.stores_answer:
        return []
    if isinstance(question.type, Date):
        return [f"{name}-{part}" for part in DATE_PARTS]
    if isinstance(question.type, Address):
        parts = (*ADDRESS_FIELDS, *ADDRESS_LOOKUP_FIELDS, "uprn", "uprn-1", "mode")
        return [f"{name}-{part}" for part in parts]
    if isinstance(question.type, Table):
        names = [f"{name}-item"]
        for field in question.type.fields:
            names += question_fields(field, f"{name}-{ITEM_KEY}-")
        return names
    return [name]


def section_fields(section: Section) -> list[str]:
    """Every name a section's page posts, with the page's own fields."""
    names = ["version", "action", "page_token", "page_seq", "return"]
    for question in section.questions:
        names += question_fields(question)
    return names


def section_actions(section: Section) -> list[str]:
    """The values the section's buttons post as `action`, and some that no button has."""
    actions = ["next", "save", "", "next:", ":", "add-item", "remove-item:"]
    verbs = ("find-address", "enter-address", "choose-address", "lookup-address", "same-address")
    for question in section.questions:
        if isinstance(question.type, Address):
            actions += [f"{verb}:{question.id}" for verb in verbs]
        if isinstance(question.type, Table):
            actions.append(f"add-item:{question.id}")
            for verb in ("remove-item", "confirm-remove", "keep-item"):
                actions += [f"{verb}:{question.id}:{ITEM_KEY}", f"{verb}:{question.id}:zzzz"]
            for field in question.type.fields:
                if isinstance(field.type, Address):
                    item_address = f"{question.id}-{ITEM_KEY}-{field.id}"
                    actions += [f"{verb}:{item_address}" for verb in verbs]
    return actions


def choice_values(section: Section) -> dict[str, st.SearchStrategy[Value]]:
    """For each choice question of a section (tables' too), the values its options post."""
    found: dict[str, st.SearchStrategy[Value]] = {}

    def add(question: Question, prefix: str) -> None:
        if isinstance(question.type, Table):
            found[f"{prefix}{question.id}-item"] = st.just(ITEM_KEY)
            for field in question.type.fields:
                add(field, f"{prefix}{question.id}-{ITEM_KEY}-")
        elif isinstance(question.type, Radios) and question.type.all_options:
            found[prefix + question.id] = st.sampled_from(
                [option.value for option in question.type.all_options]
            )

    for question in section.questions:
        add(question, "")
    found["action"] = st.sampled_from(section_actions(section))
    return found
