"""The case system's API: sent referrals changed since a moment, a page at a time; one
referral's export, valid against the published JSON Schema whatever its shape; its documents;
API tokens, the rate limit, the audit of every call, and JSON errors for every bad request."""

from __future__ import annotations

import base64
import copy
import hashlib
import re
from collections.abc import Iterator

import jsonschema
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.assessment.schema import ASSESSMENT
from app.main import create_app
from app.services.export import export_schema
from app.settings import Settings
from testkit.handover import (
    PDF,
    SHAPES,
    api_token,
    bearer,
    send_referral,
)
from testkit.journeys import audit_events, make_hub_user, register, sign_in, start_referral
from tests.conftest import Clock, csrf_token_from, make_settings

REFERRER = "grace.hopper@school.example.org"
HUB = "hub.worker@hillingdon.example.gov.uk"
VALIDATOR = jsonschema.Draft202012Validator(
    export_schema(ASSESSMENT), format_checker=jsonschema.FormatChecker()
)


@pytest.fixture
def token(settings: Settings, clock: Clock) -> str:
    return api_token(settings, "case-system", now=clock())


@pytest.fixture
def hub_client(app: Starlette, settings: Settings, clock: Clock) -> Iterator[TestClient]:
    make_hub_user(settings, HUB, now=clock())
    with TestClient(app, headers={"Accept-Encoding": "identity"}) as hub:
        sign_in(hub, HUB)
        yield hub


@pytest.fixture
def sent(client: TestClient, settings: Settings, clock: Clock) -> dict[str, str]:
    """One referral of each shape, sent a minute apart, by a referrer left signed in."""
    register(client, settings, REFERRER)
    references = {}
    for number, (shape, fields) in enumerate(SHAPES.items()):
        clock.advance(minutes=1)
        references[shape] = send_referral(
            client,
            settings,
            fields,
            forename="Sam",
            surname=f"Shape{'abc'[number]}",
            now=clock(),
            documents=("consent.pdf", "letter.pdf"),
        )
    return references


def test_every_export_validates_against_the_published_schema(
    client: TestClient,
    hub_client: TestClient,
    settings: Settings,
    clock: Clock,
    sent: dict[str, str],
    token: str,
) -> None:
    # The hub removes a document of the unborn child's referral, and replies about it.
    unborn = sent["unborn-missing-education"]
    page = hub_client.get(f"/hub/referrals/{unborn}").text
    key = re.search(rf"/hub/referrals/{unborn}/documents/([A-Za-z0-9_-]{{32}})\"", page)
    assert key
    clock.advance(minutes=1)
    removed = hub_client.post(
        f"/hub/referrals/{unborn}/documents/{key.group(1)}/remove",
        data={"csrf_token": csrf_token_from(page), "reason": "About another family"},
    )
    assert removed.status_code == 200
    hub_client.post(
        f"/hub/referrals/{unborn}/status",
        data={"csrf_token": csrf_token_from(page), "status": "in-triage", "status_message": ""},
    )
    exports = {}
    for shape, reference in sent.items():
        response = client.get(f"/api/v1/referrals/{reference}", headers=bearer(token))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        exports[shape] = response.json()
        errors = sorted(VALIDATOR.iter_errors(exports[shape]), key=str)
        assert not errors, f"{shape}: {[error.message for error in errors][:5]}"

    whole = exports["whole-family"]
    assert whole["reference"] == sent["whole-family"]
    assert whole["export_version"] == "1"
    answers = whole["answers"]
    # Sections shown by Request for Support are there; the others are absent, not empty.
    assert "send-information" in answers and "participation-team" not in answers
    assert answers["send-information"]["send_areas_of_need"] == [
        "communication-interaction",
        "sensory-physical",
    ]
    members = answers["family"]["family_members"]
    assert len(members) == 6 and all(re.fullmatch(r"[0-9a-f]{8}", m["key"]) for m in members)
    assert members[0]["forename"] == "Ann" and members[0]["relationship"] == "mother"
    assert members[0]["date_of_birth"] == "1960-03-12"
    # An answer shown only when they live elsewhere: absent for Ann, there for Bob.
    assert "address" not in members[0] and members[1]["address"]["town"] == "Hayes"
    assert len(answers["services"]["current_services"]) == 4
    assert "previous_services" not in answers["services"]  # "none": the table is hidden
    assert answers["your-details"]["child_dob"] == "2020-02-29"
    assert answers["your-details"]["referrer_name"] == "Ada Lovelace"  # from the account
    assert answers["additional-details"]["sen_details"] == "EHC plan"
    assert "disability_details" not in answers["additional-details"]
    assert whole["child"] == {
        "forename": "Sam",
        "surname": "Shapea",
        "date_of_birth": "2020-02-29",
        "nhs_number": "9434765919",
    }
    assert whole["referrer"]["email"] == REFERRER
    assert whole["referrer"]["organisation"] == "Uxbridge Health Centre"
    assert [d["filename"] for d in whole["documents"]] == ["consent.pdf", "letter.pdf"]
    document = whole["documents"][0]
    assert document["sha256"] == hashlib.sha256(PDF).hexdigest() and document["size"] == len(PDF)
    assert document["kind"] == "pdf" and document["removed"] is None
    assert document["download_path"] == (
        f"/api/v1/referrals/{whole['reference']}/documents/{document['key']}"
    )
    assert whole["history"][0]["kind"] == "sent" and whole["status"]["code"] == "received"

    unborn_export = exports["unborn-missing-education"]
    details = unborn_export["answers"]["your-details"]
    assert details["child_born"] == ["no"] and details["child_due_date"] == "2027-01-20"
    assert details["child_dob"] is None and unborn_export["child"]["date_of_birth"] is None
    assert unborn_export["answers"]["family"]["family_members"] == []
    assert "send-information" not in unborn_export["answers"]
    participation = unborn_export["answers"]["participation-team"]
    assert participation["support_type"] == "missing-education"
    assert "attendance_school" not in participation
    assert "cme_documents_prompt" not in participation  # guidance holds no answer
    previous = unborn_export["answers"]["services"]["previous_services"]
    assert previous == [
        {
            "key": "0000abcd",
            "service": "Health visiting",
            "worker_name": None,
            "role": None,
            "phone": None,
            "email": None,
            "involved_since": "2024-09-01",
        }
    ]
    gone = next(d for d in unborn_export["documents"] if d["key"] == key.group(1))
    assert gone["download_path"] is None and gone["removed"]["reason"] == "About another family"
    kinds = [entry["kind"] for entry in unborn_export["history"]]
    assert kinds == ["sent", "document-removed", "status"]
    assert unborn_export["history"][-1]["author"] == "Hattie Hub"
    assert unborn_export["status"] == {"code": "in-triage", "label": "In triage"}

    attendance = exports["attendance-no-tables"]["answers"]
    assert attendance["participation-team"]["attendance_percentage"] == "71.5"
    assert "cme_last_school" not in attendance["participation-team"]
    assert attendance["services"]["current_services"] == []

    # The schema is strict: an answer no question declares, or one of the wrong shape, fails.
    stray = copy.deepcopy(whole)
    stray["answers"]["family"]["favourite_colour"] = "blue"
    assert not VALIDATOR.is_valid(stray)
    wrong = copy.deepcopy(whole)
    wrong["answers"]["your-details"]["child_gender"] = "not-a-code"
    assert not VALIDATOR.is_valid(wrong)


def test_the_schema_is_published_to_anyone(client: TestClient) -> None:
    response = client.get("/api/v1/schema.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/schema+json")
    assert response.json() == export_schema(ASSESSMENT)


def test_changed_referrals_come_a_page_at_a_time_in_a_stable_order(
    client: TestClient,
    hub_client: TestClient,
    settings: Settings,
    clock: Clock,
    sent: dict[str, str],
    token: str,
) -> None:
    start_referral(client, "Dora", "Draft")  # a draft is never listed
    listed: list[str] = []
    url: str | None = "/api/v1/referrals?page_size=2"
    pages = 0
    while url:
        response = client.get(url, headers=bearer(token))
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["referrals"]) <= 2 and body["page_size"] == 2
        listed += [item["reference"] for item in body["referrals"]]
        url, pages = body["next"], pages + 1
    assert listed == list(sent.values()) and pages == 2
    first = client.get("/api/v1/referrals", headers=bearer(token)).json()["referrals"][0]
    assert first["href"] == f"/api/v1/referrals/{first['reference']}"
    assert first["status"] == "received" and first["changed_at"].endswith("Z")

    # Later, the hub changes one: only it has changed since.
    clock.advance(minutes=10)
    since = clock().isoformat()
    changed = sent["whole-family"]
    page = hub_client.get(f"/hub/referrals/{changed}").text
    hub_client.post(
        f"/hub/referrals/{changed}/urgency",
        data={"csrf_token": csrf_token_from(page), "urgency": "red"},
    )
    for written in (since, since.replace("+00:00", "Z"), since.replace("+00:00", " 00:00")):
        body = client.get(
            "/api/v1/referrals", params={"changed_since": written}, headers=bearer(token)
        ).json()
        assert [item["reference"] for item in body["referrals"]] == [changed], written
    clock.advance(seconds=1)
    later = client.get(
        "/api/v1/referrals", params={"changed_since": clock().isoformat()}, headers=bearer(token)
    ).json()
    assert later == {"referrals": [], "page_size": 50, "next_cursor": None, "next": None}
    # The one changed now comes last of all.
    everything = client.get("/api/v1/referrals", headers=bearer(token)).json()["referrals"]
    assert [item["reference"] for item in everything][-1] == changed


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"changed_since": "yesterday"}, "bad_parameter"),
        ({"changed_since": "2026-11-23"}, "bad_parameter"),
        ({"changed_since": "2026-11-23T09:00:00"}, "bad_parameter"),
        ({"changed_since": "2026-13-01T09:00:00Z"}, "bad_parameter"),
        ({"changed_since": ""}, "bad_parameter"),
        ({"page_size": "0"}, "bad_parameter"),
        ({"page_size": "101"}, "bad_parameter"),
        ({"page_size": "1000"}, "bad_parameter"),
        ({"page_size": "abc"}, "bad_parameter"),
        ({"page_size": "-1"}, "bad_parameter"),
        ({"page_size": "²"}, "bad_parameter"),
        ({"cursor": "not-a-cursor"}, "bad_parameter"),
        ({"cursor": base64.urlsafe_b64encode(b"2026-11-23T09:00:00|x").decode()}, "bad_parameter"),
        ({"changedSince": "2026-11-23T09:00:00Z"}, "unknown_parameter"),
    ],
)
def test_a_bad_list_request_gets_a_clear_json_error(
    client: TestClient, token: str, query: dict[str, str], code: str
) -> None:
    response = client.get("/api/v1/referrals", params=query, headers=bearer(token))
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == code and error["status"] == 400 and error["message"]


def test_unknown_references_drafts_and_removed_documents_get_json_errors(
    client: TestClient,
    hub_client: TestClient,
    sent: dict[str, str],
    token: str,
) -> None:
    draft = start_referral(client, "Dora", "Draft")
    reference = sent["whole-family"]
    export = client.get(f"/api/v1/referrals/{reference}", headers=bearer(token)).json()
    document = export["documents"][0]
    download = client.get(document["download_path"], headers=bearer(token))
    assert download.status_code == 200 and download.content == PDF
    assert "attachment" in download.headers["content-disposition"]
    digest = base64.b64encode(bytes.fromhex(document["sha256"])).decode()
    assert download.headers["repr-digest"] == f"sha-256=:{digest}:"
    page = hub_client.get(f"/hub/referrals/{reference}").text
    hub_client.post(
        f"/hub/referrals/{reference}/documents/{document['key']}/remove",
        data={"csrf_token": csrf_token_from(page), "reason": "Sent in error"},
    )
    expected = {
        "/api/v1/referrals/EH-2026-999999": (404, "no_such_referral"),
        f"/api/v1/referrals/{draft}": (404, "no_such_referral"),
        f"/api/v1/referrals/{draft}/documents/{'A' * 32}": (404, "no_such_referral"),
        f"/api/v1/referrals/{reference}/documents/{'A' * 32}": (404, "no_such_document"),
        document["download_path"]: (410, "document_removed"),
        "/api/v1/nothing-here": (404, "not_found"),
        "/api/v2/referrals": (404, "not_found"),
        f"/api/v1/referrals/{reference}?format=xml": (400, "unknown_parameter"),
    }
    for path, (status, code) in expected.items():
        response = client.get(path, headers=bearer(token))
        assert response.status_code == status, path
        assert response.headers["content-type"] == "application/json", path
        assert response.json()["error"]["code"] == code, path
        assert "Draft" not in response.text


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_the_api_only_reads(
    client: TestClient, sent: dict[str, str], token: str, method: str
) -> None:
    reference = sent["whole-family"]
    for path in ("/api/v1/referrals", f"/api/v1/referrals/{reference}", "/api/v1/schema.json"):
        response = client.request(method, path, headers=bearer(token), data={"status": "x"})
        assert response.status_code == 405, (method, path)
        assert response.json()["error"]["code"] == "method_not_allowed"
        assert "GET" in response.headers["allow"]
    head = client.head(f"/api/v1/referrals/{reference}", headers=bearer(token))
    assert head.status_code == 200 and head.content == b""


def test_without_a_valid_token_the_api_gives_nothing(
    client: TestClient,
    hub_client: TestClient,
    settings: Settings,
    clock: Clock,
    sent: dict[str, str],
    token: str,
) -> None:
    revoked = api_token(settings, "old-case-system", now=clock(), revoked=True)
    reference = sent["whole-family"]
    paths = ("/api/v1/referrals", f"/api/v1/referrals/{reference}")
    refusals: list[tuple[TestClient, dict[str, str], str | None]] = [
        (client, {}, None),  # the referrer's session
        (hub_client, {}, None),  # hub staff's session
        (client, {"Authorization": f"Basic {token}"}, None),
        (client, {"Authorization": "Bearer"}, None),
        (client, bearer(token[:-2] + "xx"), "invalid_token"),
        (client, bearer("not-a-token"), "invalid_token"),
        (hub_client, bearer(revoked), "invalid_token"),
    ]
    for visitor, headers, error in refusals:
        for path in paths:
            response = visitor.get(path, headers=headers)
            assert response.status_code == 401, (headers, path)
            challenge = response.headers["www-authenticate"]
            assert challenge.startswith('Bearer realm="childrens-portal"')
            assert (f'error="{error}"' in challenge) if error else ("error=" not in challenge)
            assert "Shapea" not in response.text and reference not in response.text
    # The revoked token's calls are audited, so its holder's attempts are seen.
    calls = audit_events(settings, "api.called")
    assert {call.details["token"] for call in calls} == {"old-case-system"}
    assert {call.details["status"] for call in calls} == {401}


def test_every_call_is_audited_with_its_token_path_and_reference(
    client: TestClient, settings: Settings, sent: dict[str, str], token: str
) -> None:
    reference = sent["whole-family"]
    client.get("/api/v1/referrals", headers=bearer(token))
    client.get(f"/api/v1/referrals/{reference}", headers=bearer(token))
    client.get("/api/v1/referrals/EH-2026-999999", headers=bearer(token))
    calls = [
        (call.details["token"], call.details["path"], call.subject_id, call.details["status"])
        for call in audit_events(settings, "api.called")
    ]
    assert calls == [
        ("case-system", "/api/v1/referrals", None, 200),
        ("case-system", f"/api/v1/referrals/{reference}", reference, 200),
        ("case-system", "/api/v1/referrals/EH-2026-999999", "EH-2026-999999", 404),
    ]


def test_each_token_is_rate_limited_per_minute(
    database_url: str, clock: Clock, fast_password_hashing: None
) -> None:
    settings = make_settings(database_url, api_calls_per_minute=3)
    first = api_token(settings, "case-system", now=clock())
    second = api_token(settings, "reporting", now=clock())
    with TestClient(create_app(settings, clock=clock)) as api:
        for _ in range(3):
            assert api.get("/api/v1/referrals", headers=bearer(first)).status_code == 200
        clock.advance(seconds=20)
        refused = api.get("/api/v1/referrals", headers=bearer(first))
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert refused.headers["retry-after"] == "40"
        # Another token has its own allowance.
        assert api.get("/api/v1/referrals", headers=bearer(second)).status_code == 200
        clock.advance(seconds=41)
        assert api.get("/api/v1/referrals", headers=bearer(first)).status_code == 200


def test_an_api_token_opens_no_page(client: TestClient, sent: dict[str, str], token: str) -> None:
    client.cookies.clear()
    reference = sent["whole-family"]
    for path in (
        "/hub/referrals",
        "/hub/referrals.csv",
        f"/hub/referrals/{reference}",
        f"/hub/referrals/{reference}/export.json",
        f"/hub/referrals/{reference}/pdf",
        f"/referrals/{reference}/view",
        "/account",
    ):
        response = client.get(path, headers=bearer(token), follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/login", path
