"""Table questions in the engine: each item is a small section of its own, with prefixed
question ids, its own conditions, numbered problems, and answers found and replaced by id."""

from __future__ import annotations

from datetime import date

from app.assessment import engine
from app.assessment.answer_types import Radios, Table, Text, YesNo
from app.assessment.answer_types import table as tables
from app.assessment.model import Option, Question, Section, ShowIf

TODAY = date(2026, 11, 23)
PETS = Question(
    "pets",
    "Pets",
    Table(
        item_label="Pet",
        names=("name",),
        max_items=3,
        fields=(
            Question("name", "Name", Text(max_length=20)),
            Question("kind", "Kind", Radios(options=(Option("cat", "Cat"), Option("dog", "Dog")))),
            Question(
                "bites",
                "Does it bite?",
                YesNo(options=(Option("yes", "Yes"), Option("no", "No"))),
                required=False,
            ),
            Question(
                "bite_details", "Describe the bites", Text(), show_if=ShowIf("bites", ("yes",))
            ),
        ),
    ),
    required_message="Add at least one pet",
)
SECTION = Section("home", "Home", "0", (PETS,))


class Form:
    def __init__(self, fields: list[tuple[str, str]]) -> None:
        self.fields = fields

    def get(self, key: str, /) -> str | None:
        return next((v for k, v in self.fields if k == key), None)

    def getlist(self, key: str) -> list[str]:
        return [v for k, v in self.fields if k == key]


def test_an_item_is_a_section_with_prefixed_ids_and_conditions() -> None:
    own = tables.item_section(SECTION, PETS, "0123abcd")
    ids = [q.id for q in own.questions]
    assert ids == [
        "pets-0123abcd-name",
        "pets-0123abcd-kind",
        "pets-0123abcd-bites",
        "pets-0123abcd-bite_details",
    ]
    condition = own.question("pets-0123abcd-bite_details").show_if
    assert condition is not None and condition.question == "pets-0123abcd-bites"
    assert engine.nested_under(own) == {
        ("pets-0123abcd-bites", "yes"): [own.question("pets-0123abcd-bite_details")]
    }


def test_items_are_read_from_a_form_in_order_with_good_keys_only() -> None:
    form = Form(
        [
            ("pets-item", "0123abcd"),
            ("pets-item", "nonsense"),
            ("pets-item", "89abcdef"),
            ("pets-item", "0123abcd"),
            ("pets-0123abcd-name", " Rex "),
            ("pets-89abcdef-name", "Tom"),
            ("pets-89abcdef-bites", "yes"),
            ("pets-nonsense-name", "Eve"),
        ]
    )
    items = engine.answers_from_form(SECTION, form)["pets"]
    assert [item["key"] for item in items] == ["0123abcd", "89abcdef"]
    assert items[0]["name"] == "Rex" and items[1]["bites"] == "yes"


def test_problems_are_numbered_and_point_at_the_items_field() -> None:
    answers = {
        "home": {
            "pets": [
                {"key": "0123abcd", "name": "Rex", "kind": ""},
                {"key": "11111111"},  # blank: ignored
                {"key": "89abcdef", "name": "x" * 21, "bites": "yes"},
            ]
        }
    }
    problems = engine.section_problems(SECTION, answers, today=TODAY, check_required=True)
    found = [(p.field_id, p.message) for p in problems]
    assert ("pets-0123abcd-kind", "Pet 1: Select kind") in found
    assert ("pets-89abcdef-name", "Pet 3: Name must be 20 characters or fewer") in found
    assert ("pets-89abcdef-bite_details", "Pet 3: Describe the bites") in found
    assert not any("11111111" in field for field, _ in found)
    assert not any(field == "pets-0123abcd-bite_details" for field, _ in found)
    assert not any(field.endswith("-bites") for field, _ in found)


def test_an_empty_required_table_says_what_its_blank_column_misses_or_points_at_add() -> None:
    """A blank first column is checked as if it were filled in: "Pet 1: Enter name", not
    "Add at least one pet" beside a column already there to fill."""
    answers = {"home": {"pets": [{"key": "0123abcd", "name": "  "}, {"key": "89abcdef"}]}}
    problems = engine.section_problems(SECTION, answers, today=TODAY, check_required=True)
    expected = [
        ("pets-0123abcd-name", "Pet 1: Enter name"),
        ("pets-0123abcd-kind", "Pet 1: Select kind"),
    ]
    assert [(p.field_id, p.message) for p in problems] == expected
    nothing: dict[str, dict[str, object]] = {"home": {}}
    problems = engine.section_problems(SECTION, nothing, today=TODAY, check_required=True)
    assert [(p.field_id, p.message) for p in problems] == [("pets-add", "Add at least one pet")]
    assert not engine.is_answered(PETS, answers["home"]["pets"])
    assert engine.section_problems(SECTION, answers, today=TODAY, check_required=False) == []


def test_answers_are_found_and_replaced_by_prefixed_id() -> None:
    own = {"pets": [{"key": "0123abcd", "name": "Rex"}, {"key": "89abcdef"}]}
    assert engine.get_answer(SECTION, own, "pets-0123abcd-name") == "Rex"
    assert engine.get_answer(SECTION, own, "pets-89abcdef-name") is None
    changed = engine.with_answer(SECTION, own, "pets-89abcdef-name", "Tom")
    assert changed["pets"][1] == {"key": "89abcdef", "name": "Tom"}
    assert own["pets"][1] == {"key": "89abcdef"}  # the original is left alone
    found = engine.find_question(SECTION, "pets-89abcdef-bite_details")
    assert found is not None and found.label == "Describe the bites"
    for missing in ("pets-zzzzzzzz-name", "pets-89abcdef", "pets-89abcdefname", "nothing"):
        assert engine.find_question(SECTION, missing) is None


def test_stored_junk_is_not_an_item() -> None:
    junk = [None, "text", {"name": "no key"}, {"key": "../../x"}, {"key": "0123abcd"}]
    assert tables.table_items(junk) == [{"key": "0123abcd"}]
    assert tables.table_items("not a list") == []


def test_summary_and_normalising_leave_out_blank_items() -> None:
    answers = {
        "home": {
            "pets": [
                {"key": "0123abcd", "name": "Rex", "bites": "no", "bite_details": "old"},
                {"key": "11111111", "name": ""},
            ]
        }
    }
    assert engine.display_answer(PETS, answers["home"]["pets"], account={}) == ["Pet 1: Rex"]
    cards = PETS.type.item_summaries(SECTION, PETS, answers, account={})
    assert [card.title for card in cards] == ["Pet 1: Rex"]
    labels = [question.label for question, _lines in cards[0].rows]
    assert labels == ["Name", "Kind", "Does it bite?"]  # the hidden question is left out
    normalised = engine.normalised_answers(SECTION, answers["home"], today=TODAY)
    assert [item["key"] for item in normalised["pets"]] == ["0123abcd"]
