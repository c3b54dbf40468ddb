"""Tables of items (help guide 5.2 family members and 5.8 services): adding and removing in
place with and without htmx, the 20-item limit, errors that point at one member's field,
blank columns, malformed posts, a member's own address, and the section navigation that
follows Request for Support."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from app.settings import Settings
from testkit.journeys import register
from tests.conftest import csrf_token_from
from tests.routes.test_assessment import YOUR_DETAILS, a_seeded_postcode, stored, submit, version_on

EMAIL = "florence.nightingale@health.example.org"
FAMILY = "family"
MEMBERS = "family_members"
KEY = re.compile(r'name="family_members-item" value="([0-9a-f]{8})"')


@pytest.fixture
def reference(client: TestClient, settings: Settings) -> str:
    register(client, settings, EMAIL)
    token = csrf_token_from(client.get("/").text)
    response = client.post(
        "/start/early-help",
        data={"csrf_token": token, "child_forename": "Sam", "child_surname": "Smith"},
        follow_redirects=False,
    )
    return response.headers["location"].split("/")[2]


def section_url(reference: str, section: str = FAMILY) -> str:
    return f"/referrals/{reference}/sections/{section}"


def send(
    client: TestClient,
    reference: str,
    fields: dict[str, Any],
    *,
    section: str = FAMILY,
    htmx: bool = False,
    page: str | None = None,
) -> httpx.Response:
    """Post the section form as the browser would (lists become repeated fields), with the
    version from `page` (or the section page now)."""
    page = page if page is not None else client.get(section_url(reference, section)).text
    headers = {"HX-Request": "true"} if htmx else {}
    data = {"csrf_token": csrf_token_from(page), "version": version_on(page), **fields}
    return client.post(
        section_url(reference, section), data=data, headers=headers, follow_redirects=False
    )


def member(key: str, **answers: str) -> dict[str, str]:
    return {f"{MEMBERS}-{key}-{name}": value for name, value in answers.items()}


ANN = {
    "forename": "Ann",
    "surname": "Smith",
    "relationship": "mother",
    "lives_with_child": "yes",
    "parental_responsibility": "yes",
}
BOB = {
    "forename": "Bob",
    "surname": "Smith",
    "relationship": "other",
    "relationship_other": "Family friend who cares for Sam after school",
    "lives_with_child": "no",
    "parental_responsibility": "no",
    "address-mode": "manual",
    "address-line1": "9 Station Road",
    "address-town": "Hayes",
    "address-postcode": "ub3 4ds",
}


def keys_on(page: str) -> list[str]:
    return KEY.findall(page)


def stored_members(settings: Settings) -> list[dict[str, Any]]:
    members: list[dict[str, Any]] = stored(settings, FAMILY).answers[MEMBERS]
    return members


# Adding -------------------------------------------------------------------------------------


def first_member(client: TestClient, reference: str) -> tuple[str, str]:
    """Select "Add a family member" on the empty table (without JavaScript): the page with
    its one blank column, and that column's key."""
    response = send(client, reference, {"action": f"add-item:{MEMBERS}"})
    assert response.status_code == 200
    keys = keys_on(response.text)
    assert len(keys) == 1
    return response.text, keys[0]


def test_family_page_starts_with_no_one_and_add_a_family_member(
    client: TestClient, reference: str
) -> None:
    page = client.get(section_url(reference))
    assert page.status_code == 200
    assert keys_on(page.text) == []
    assert "No family members added yet." in page.text
    assert "Add a family member\n" in page.text and "Add another family member" not in page.text
    # The page is wide enough for columns and lists the sections of the form.
    assert "govuk-grid-column-full" in page.text and 'id="section-navigation"' in page.text
    # Once there is one, the button adds another.
    added, _key = first_member(client, reference)
    assert "Family member 1" in added and "Add another family member" in added
    assert "No family members added yet." not in added


def test_add_without_javascript_saves_and_draws_a_new_column(
    client: TestClient, reference: str, settings: Settings
) -> None:
    page, first = first_member(client, reference)
    response = send(
        client,
        reference,
        {
            f"{MEMBERS}-item": first,
            **member(first, forename="Ann"),
            "action": f"add-item:{MEMBERS}",
        },
        page=page,
    )
    assert response.status_code == 200
    keys = keys_on(response.text)
    assert len(keys) == 2 and keys[0] == first
    # Focus (autofocus, which works without JavaScript) goes to the new column's heading.
    assert re.search(rf'id="{MEMBERS}-{keys[1]}-title" tabindex="-1" autofocus', response.text)
    assert 'value="Ann"' in response.text
    members = stored_members(settings)
    assert [m["key"] for m in members] == keys
    assert members[0]["forename"] == "Ann"
    assert version_on(response.text) == "2"


def test_add_with_htmx_answers_with_one_column_and_the_controls(
    client: TestClient, reference: str, settings: Settings
) -> None:
    page, first = first_member(client, reference)
    response = send(
        client,
        reference,
        {
            f"{MEMBERS}-item": first,
            **member(first, forename="Ann"),
            "action": f"add-item:{MEMBERS}",
        },
        htmx=True,
        page=page,
    )
    assert response.status_code == 200
    assert "<html" not in response.text and "HX-Retarget" not in response.headers
    keys = keys_on(response.text)
    assert len(keys) == 1 and keys[0] != first  # only the new column
    assert response.text.lstrip().startswith(f'<div class="portal-table__item" id="{MEMBERS}-')
    assert f'<div id="{MEMBERS}-controls"' in response.text
    assert re.search(r'id="section-version" value="2" hx-swap-oob="true"', response.text)
    assert [m["key"] for m in stored_members(settings)] == [first, keys[0]]
    assert response.headers["Vary"].startswith("HX-Request")


def test_the_twenty_first_member_gets_a_clear_message(
    client: TestClient, reference: str, settings: Settings
) -> None:
    keys = [f"{n:08x}" for n in range(20)]
    fields: dict[str, Any] = {f"{MEMBERS}-item": keys}
    for n, key in enumerate(keys):
        fields.update(member(key, forename=f"Person{n}", surname="Smith"))
    response = send(client, reference, {**fields, "action": f"add-item:{MEMBERS}"})
    assert response.status_code == 422
    assert "You can add up to 20 family members" in response.text
    assert f'href="#{MEMBERS}-add"' in response.text  # in the error summary
    assert len(keys_on(response.text)) == 20
    assert len(stored_members(settings)) == 20  # what was typed is saved all the same
    # With htmx: the whole table comes back in place of the old one, with the message.
    response = send(client, reference, {**fields, "action": f"add-item:{MEMBERS}"}, htmx=True)
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == f"#{MEMBERS}-table"
    assert response.headers["HX-Reswap"] == "outerHTML"
    assert response.text.lstrip().startswith(f'<div id="{MEMBERS}-table"')
    assert "You can add up to 20 family members" in response.text


def test_more_than_twenty_posted_members_are_not_stored(
    client: TestClient, reference: str, settings: Settings
) -> None:
    keys = [f"{n:08x}" for n in range(25)]
    fields: dict[str, Any] = {f"{MEMBERS}-item": keys}
    for key in keys:
        fields.update(member(key, forename="X"))
    assert send(client, reference, {**fields, "action": "save"}).status_code == 303
    assert len(stored_members(settings)) == 20


@pytest.mark.parametrize(
    "bad_key",
    ["../../etc", "ABCDEF12", "1234567", "123456789", "12345678-forename", ""],
    ids=["path", "upper-case", "short", "long", "dashes", "empty"],
)
def test_malformed_item_keys_are_ignored(
    client: TestClient, reference: str, settings: Settings, bad_key: str
) -> None:
    good = "0123abcd"
    fields = {
        f"{MEMBERS}-item": [good, bad_key, good],  # a repeated key counts once
        **member(good, forename="Ann"),
        f"{MEMBERS}-{bad_key}-forename": "Eve",
        "action": "save",
    }
    assert send(client, reference, fields).status_code == 303
    assert [m["key"] for m in stored_members(settings)] == [good]


@pytest.mark.parametrize(
    "action",
    [
        "add-item:nothing",
        "add-item:child_address",
        "add-item:",
        "remove-item:nothing:0123abcd",
        "confirm-remove:family_members-0123abcd-address:0123abcd",
    ],
)
def test_item_actions_on_something_that_is_not_a_table_are_not_found(
    client: TestClient, reference: str, action: str
) -> None:
    assert send(client, reference, {"action": action}).status_code == 404


# Removing -----------------------------------------------------------------------------------


def two_members(client: TestClient, reference: str) -> tuple[str, str, str]:
    """Save Ann and Bob; returns their keys and the page."""
    first, second = "0123abcd", "4567ef01"
    fields = {f"{MEMBERS}-item": [first, second], **member(first, **ANN), **member(second, **BOB)}
    assert send(client, reference, {**fields, "action": "save"}).status_code == 303
    return first, second, client.get(section_url(reference)).text


def test_remove_asks_first_then_removes_without_javascript(
    client: TestClient, reference: str, settings: Settings
) -> None:
    first, second, page = two_members(client, reference)
    assert 'Remove<span class="govuk-visually-hidden"> family member 2</span>' in page
    fields = {f"{MEMBERS}-item": [first, second], **member(first, **ANN), **member(second, **BOB)}
    asked = send(
        client, reference, {**fields, "action": f"remove-item:{MEMBERS}:{second}"}, page=page
    )
    assert asked.status_code == 200
    assert "Are you sure you want to remove family member 2 (Bob Smith)?" in asked.text
    assert re.search(rf'id="{MEMBERS}-{second}-confirm" tabindex="-1" autofocus', asked.text)
    assert len(stored_members(settings)) == 2  # nothing removed yet
    # "No, keep them": still there, focus back on the column.
    kept = send(
        client, reference, {**fields, "action": f"keep-item:{MEMBERS}:{second}"}, page=asked.text
    )
    assert "Are you sure" not in kept.text and len(keys_on(kept.text)) == 2
    # "Yes, remove": gone, and the page says so where focus lands.
    removed = send(
        client,
        reference,
        {**fields, "action": f"confirm-remove:{MEMBERS}:{second}"},
        page=kept.text,
    )
    assert removed.status_code == 200
    assert re.search(
        r'tabindex="-1" autofocus>Family member 2 \(Bob Smith\) has been removed.<', removed.text
    )
    assert keys_on(removed.text) == [first]
    assert [m["key"] for m in stored_members(settings)] == [first]
    # Pressing "Yes, remove" again (a second click, an old tab) removes nothing else.
    again = send(
        client,
        reference,
        {
            f"{MEMBERS}-item": first,
            **member(first, **ANN),
            "action": f"confirm-remove:{MEMBERS}:{second}",
        },
        page=removed.text,
    )
    assert again.status_code == 200 and "already been removed" in again.text
    assert [m["key"] for m in stored_members(settings)] == [first]


def test_remove_with_htmx_swaps_the_column_then_the_table(
    client: TestClient, reference: str, settings: Settings
) -> None:
    first, second, page = two_members(client, reference)
    fields = {f"{MEMBERS}-item": [first, second], **member(first, **ANN), **member(second, **BOB)}
    asked = send(
        client,
        reference,
        {**fields, "action": f"remove-item:{MEMBERS}:{second}"},
        htmx=True,
        page=page,
    )
    assert asked.status_code == 200
    assert asked.text.lstrip().startswith(
        f'<div class="portal-table__item" id="{MEMBERS}-{second}"'
    )
    assert "Are you sure you want to remove family member 2 (Bob Smith)?" in asked.text
    assert f"{MEMBERS}-{first}" not in asked.text
    version = re.search(r'id="section-version" value="(\d+)" hx-swap-oob="true"', asked.text)
    assert version
    token = csrf_token_from(page)
    removed = client.post(
        section_url(reference),
        data={
            "csrf_token": token,
            "version": version.group(1),
            **fields,
            "action": f"confirm-remove:{MEMBERS}:{second}",
        },
        headers={"HX-Request": "true"},
    )
    assert removed.status_code == 200
    # The button targets the table: the whole table comes back, renumbered, with the notice.
    assert "HX-Retarget" not in removed.headers
    assert removed.text.lstrip().startswith(f'<div id="{MEMBERS}-table"')
    assert "Family member 2 (Bob Smith) has been removed." in removed.text
    assert keys_on(removed.text) == [first]
    assert [m["key"] for m in stored_members(settings)] == [first]


def test_removing_the_only_member_leaves_no_one_and_add_a_family_member(
    client: TestClient, reference: str, settings: Settings
) -> None:
    first = "0123abcd"
    fields = {f"{MEMBERS}-item": first, **member(first, **ANN)}
    removed = send(client, reference, {**fields, "action": f"confirm-remove:{MEMBERS}:{first}"})
    assert removed.status_code == 200
    assert stored_members(settings) == []
    assert keys_on(removed.text) == []
    assert "Add a family member\n" in removed.text


# Checking -----------------------------------------------------------------------------------


def error_summary(page: str) -> str:
    return page.split('govuk-error-summary__list">')[1].split("</ul>")[0]


def test_errors_point_at_the_members_own_field(
    client: TestClient, reference: str, settings: Settings
) -> None:
    first, second = "0123abcd", "4567ef01"
    fields = {
        f"{MEMBERS}-item": [first, second],
        **member(first, **ANN),
        **member(second, **{**BOB, "forename": "", "phone": "call me maybe"}),
        "action": "next",
    }
    response = send(client, reference, fields)
    assert response.status_code == 422
    summary = error_summary(response.text)
    assert f'href="#{MEMBERS}-{second}-forename">Family member 2: Enter their forename<' in summary
    assert f'href="#{MEMBERS}-{second}-phone">Family member 2: ' in summary
    assert f"{MEMBERS}-{first}-" not in summary  # Ann's answers are fine
    # The messages sit on Bob's fields, and what was typed is still there.
    assert f'id="{MEMBERS}-{second}-forename-error"' in response.text
    assert 'value="call me maybe"' in response.text
    assert stored(settings, FAMILY).status != "completed"


def test_bad_member_dates_and_lengths(client: TestClient, reference: str) -> None:
    first = "0123abcd"
    fields = {
        f"{MEMBERS}-item": first,
        **member(
            first,
            **ANN,
            **{"date_of_birth-day": "31", "date_of_birth-month": "2", "date_of_birth-year": "1990"},
            notes="x" * 2001,
        ),
        "action": "next",
    }
    response = send(client, reference, fields)
    assert response.status_code == 422
    assert f'href="#{MEMBERS}-{first}-date_of_birth-day"' in response.text
    assert f'href="#{MEMBERS}-{first}-notes"' in response.text
    assert "2,000 characters or fewer" in response.text


def test_family_members_are_optional_and_blank_columns_are_dropped(
    client: TestClient, reference: str, settings: Settings
) -> None:
    """The guide never makes anyone add a family member: Next with no one, or only a blank
    column, completes the section; a blank column beside a real member goes."""
    blank = "89abcdef"
    response = send(client, reference, {f"{MEMBERS}-item": blank, "action": "next"})
    assert response.status_code == 303
    assert stored(settings, FAMILY).answers[MEMBERS] == []
    first = "0123abcd"
    fields = {f"{MEMBERS}-item": [first, blank], **member(first, **ANN), "action": "next"}
    response = send(client, reference, fields)
    assert response.status_code == 303
    assert response.headers["location"].endswith("/sections/request-for-support")
    saved = stored(settings, FAMILY)
    assert saved.status == "completed"
    assert [m["key"] for m in saved.answers[MEMBERS]] == [first]


def test_a_required_tables_blank_first_column_says_what_it_misses(
    client: TestClient, reference: str
) -> None:
    """Services involved before, once "Yes" is chosen, need one: a blank first column is
    checked as if filled in, so the error names its missing field, not "Add ..."."""
    page = client.get(section_url(reference, "services")).text
    assert keys_on(page) == []
    blank = "89abcdef"
    fields = {
        "previous_services_known": "yes",
        "previous_services-item": blank,
        "action": "next",
    }
    response = send(client, reference, fields, section="services")
    assert response.status_code == 422
    link = f'href="#previous_services-{blank}-service">Previous service 1: Enter the name'
    assert link in response.text
    assert "Add the services that were involved before" not in response.text


def test_a_members_address_is_checked_only_when_they_live_elsewhere(
    client: TestClient, reference: str, settings: Settings
) -> None:
    first, second = "0123abcd", "4567ef01"
    bob_without_address = {k: v for k, v in BOB.items() if not k.startswith("address")}
    fields = {
        f"{MEMBERS}-item": [first, second],
        # Ann lives with the child: an address left in her hidden fields is not checked.
        **member(first, **ANN, **{"address-mode": "manual", "address-postcode": "nonsense"}),
        **member(second, **bob_without_address, **{"address-postcode": "nonsense"}),
        "action": "next",
    }
    response = send(client, reference, fields)
    assert response.status_code == 422
    assert f'href="#{MEMBERS}-{second}-address-line1"' in response.text
    assert f"{MEMBERS}-{first}-address" not in error_summary(response.text)
    response = send(
        client,
        reference,
        {
            f"{MEMBERS}-item": [first, second],
            **member(first, **ANN),
            **member(second, **BOB),
            "action": "next",
        },
    )
    assert response.status_code == 303
    bob = stored_members(settings)[1]
    assert bob["address"]["postcode"] == "UB3 4DS"  # normalised once the section is done


def test_a_member_who_does_not_live_with_the_child_is_not_offered_the_childs_address(
    client: TestClient, reference: str
) -> None:
    """Their address is asked only because they live elsewhere: copying the child's would
    always be wrong, so no button offers it (and the action, sent by hand, copies nothing)."""
    second = "4567ef01"
    fields = {
        f"{MEMBERS}-item": second,
        **member(second, forename="Bob", lives_with_child="no", **{"address-mode": "lookup"}),
    }
    assert submit(client, reference, "your-details", YOUR_DETAILS, action="next").status_code == 303
    page = send(client, reference, {**fields, "action": "save-draft"}).text
    assert f'id="{MEMBERS}-{second}-address-address"' in page
    assert "Same address as the child" not in page and "same-address" not in page
    response = send(
        client, reference, {**fields, "action": f"same-address:{MEMBERS}-{second}-address"}
    )
    assert response.status_code == 200
    assert "3 Ashgrove Road" not in response.text


def test_find_address_for_a_member_with_htmx(client: TestClient, reference: str) -> None:
    second = "4567ef01"
    qid = f"{MEMBERS}-{second}-address"
    page = client.get(section_url(reference)).text
    response = client.post(
        f"{section_url(reference)}/address/{qid}",
        data={
            "version": version_on(page),
            f"{MEMBERS}-item": second,
            f"{qid}-mode": "lookup",
            f"{qid}-lookup_postcode": "not a postcode",
            "action": f"find-address:{qid}",
        },
        headers={"HX-Request": "true", "X-CSRF-Token": csrf_token_from(page)},
    )
    assert response.status_code == 422
    assert response.text.lstrip().startswith(f'<div id="{qid}-address"')
    assert "Enter a real UK postcode" in response.text
    # An address question of a member who is not in the form is not found.
    response = client.post(
        f"{section_url(reference)}/address/{MEMBERS}-zzzzzzzz-address",
        data={"version": version_on(page), "action": f"find-address:{MEMBERS}-zzzzzzzz-address"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf_token_from(page)},
    )
    assert response.status_code == 404


def test_found_addresses_show_under_the_member_whose_find_address_was_pressed(
    client: TestClient, reference: str
) -> None:
    """Without JavaScript the whole page comes back: the list of addresses, and its "Use this
    address" button, belong to the one member whose postcode was looked up, not to every
    member whose address block is open."""
    first, second = "0123abcd", "4567ef01"
    fields = {
        f"{MEMBERS}-item": [first, second],
        **member(first, forename="Ann", lives_with_child="no", **{"address-mode": "lookup"}),
        **member(second, forename="Bob", lives_with_child="no", **{"address-mode": "lookup"}),
        f"{MEMBERS}-{first}-address-lookup_postcode": a_seeded_postcode(),
        "action": f"find-address:{MEMBERS}-{first}-address",
    }
    page = send(client, reference, fields).text
    assert f'name="{MEMBERS}-{first}-address-uprn" type="radio"' in page
    assert f'name="{MEMBERS}-{second}-address-uprn" type="radio"' not in page
    assert page.count("Use this address") == 1


# Services -----------------------------------------------------------------------------------

SERVICES = "services"


def test_services_current_and_none_before(
    client: TestClient, reference: str, settings: Settings
) -> None:
    page = client.get(section_url(reference, SERVICES))
    assert page.status_code == 200
    assert "No services added." in page.text and "Add a current service" in page.text
    first, second = "0123abcd", "4567ef01"
    current = {
        "current_services-item": [first, second],
        f"current_services-{first}-service": "School nurse",
        f"current_services-{first}-email": "nurse@health.example.org",
        f"current_services-{second}-service": "CAMHS",
        f"current_services-{second}-involved_since-month": "9",
        f"current_services-{second}-involved_since-year": "2025",
    }
    response = send(client, reference, {**current, "action": "next"}, section=SERVICES)
    assert response.status_code == 422
    assert 'href="#current_services-4567ef01-involved_since-day"' in response.text
    assert 'href="#previous_services_known"' in response.text
    current[f"current_services-{second}-involved_since-day"] = "1"
    # "None" before: the previous services table is hidden, so its blank column is no problem.
    response = send(
        client,
        reference,
        {
            **current,
            "previous_services_known": "none",
            "previous_services-item": "89abcdef",
            "action": "next",
        },
        section=SERVICES,
    )
    assert response.status_code == 303
    answers = stored(settings, SERVICES).answers
    assert [s["service"] for s in answers["current_services"]] == ["School nurse", "CAMHS"]
    check = client.get(f"/referrals/{reference}/check-answers").text
    assert "Current service 1: School nurse" in check and "Current service 2: CAMHS" in check
    assert "nurse@health.example.org" in check and "1 September 2025" in check


def test_previous_services_yes_needs_one_and_hidden_ones_are_kept(
    client: TestClient, reference: str, settings: Settings
) -> None:
    first = "0123abcd"
    response = send(
        client,
        reference,
        {"previous_services_known": "yes", "previous_services-item": first, "action": "next"},
        section=SERVICES,
    )
    assert response.status_code == 422
    # The blank column on the page says what it misses.
    missing = "Previous service 1: Enter the name of the service or agency"
    assert f'href="#previous_services-{first}-service">{missing}' in response.text
    previous = {
        "previous_services-item": first,
        f"previous_services-{first}-service": "Youth Justice Service",
    }
    response = send(
        client,
        reference,
        {**previous, "previous_services_known": "yes", "action": "next"},
        section=SERVICES,
    )
    assert response.status_code == 303
    assert (
        "Previous service 1: Youth Justice Service"
        in client.get(f"/referrals/{reference}/check-answers").text
    )
    # Changing to "Unknown" hides the table: kept in storage, out of check answers.
    response = send(
        client,
        reference,
        {**previous, "previous_services_known": "unknown", "action": "next"},
        section=SERVICES,
    )
    assert response.status_code == 303
    assert "Youth Justice Service" not in client.get(f"/referrals/{reference}/check-answers").text
    assert stored(settings, SERVICES).answers["previous_services"][0]["service"] == (
        "Youth Justice Service"
    )


# Check answers ------------------------------------------------------------------------------


def test_check_answers_shows_each_member_as_a_card_with_change_links(
    client: TestClient, reference: str
) -> None:
    _first, second, _page = two_members(client, reference)
    check = client.get(f"/referrals/{reference}/check-answers").text
    assert "Family member 1: Ann Smith" in check and "Family member 2: Bob Smith" in check
    assert "Family friend who cares for Sam after school" in check
    assert "9 Station Road" in check
    assert f'sections/family?return=check#{MEMBERS}-{second}-forename"' in check
    assert f'sections/family?return=check#{MEMBERS}-heading"' in check


# Section navigation follows Request for Support --------------------------------------------


def autosave(client: TestClient, reference: str, fields: dict[str, Any]) -> httpx.Response:
    page = client.get(section_url(reference, "request-for-support")).text
    return client.post(
        f"{section_url(reference, 'request-for-support')}/autosave",
        data={"version": version_on(page), **fields},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf_token_from(page)},
    )


def test_autosave_on_request_for_support_updates_the_section_navigation(
    client: TestClient, reference: str
) -> None:
    response = autosave(client, reference, {"services": ["participation", "send"]})
    assert response.status_code == 200
    assert "The Participation Team and SEND Information sections have been added" in response.text
    nav = response.text.split('<nav id="section-navigation"')[1]
    assert nav.lstrip().startswith('class="portal-section-nav"')
    assert 'hx-swap-oob="true"' in nav.split(">")[0]
    assert "/sections/participation-team" in nav and "/sections/send-information" in nav
    # Saving again without a change to the sections: no navigation sent.
    response = autosave(client, reference, {"services": ["participation", "send"]})
    assert "section-navigation" not in response.text
    response = autosave(client, reference, {"services": ["send"]})
    assert "The Participation Team section has been taken out of this form." in response.text
    assert "/sections/participation-team" not in response.text.split("section-navigation")[1]
