"""The stand-in takes what a Workflows flow posting to a Teams channel takes, and refuses the rest as
Workflows or Teams would: the signature, the message's shape, its size, the card's schema and version."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests

from cynare.sandbox.teams.message import MESSAGE_LIMIT
from tests.sandbox_teams.conftest import card, message


def _error(response: requests.Response) -> dict[str, str]:
    body = response.json()
    assert set(body) == {"error"}
    return dict(body["error"])


def _with_query(url: str, **changes: str | None) -> str:
    """The URL with query parameters changed (None removes one)."""
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return parts._replace(query="&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())).geturl()


# --- accepted --------------------------------------------------------------------------------------
def test_a_valid_card_is_accepted_with_202_and_captured_to_a_file(teams):
    url, admin = teams
    sent = message(card(actions=[{"type": "Action.OpenUrl", "title": "Status", "url": "https://example.org/s"}]))

    response = requests.post(url, json=sent, timeout=5)

    assert response.status_code == 202
    assert response.content == b""
    assert re.fullmatch(r"\d{20}", response.headers["x-ms-workflow-run-id"])
    [post] = admin.posts()
    assert post["n"] == 1
    assert post["message"] == sent
    file = Path(post["file"])
    assert file.parent.name == "teams"
    assert re.fullmatch(r"\d{8}T\d{6}Z-0001\.json", file.name)
    text = file.read_text(encoding="utf-8")
    assert json.loads(text) == sent
    assert text.startswith('{\n  "type": "message"')  # pretty, for a person to read or paste into the designer


def test_each_post_gets_its_own_numbered_file_and_the_admin_lists_the_cards_in_order(teams):
    url, admin = teams
    for text in ("first", "second"):
        sent = message(card(body=[{"type": "TextBlock", "text": text}]))
        assert requests.post(url, json=sent, timeout=5).status_code == 202

    assert [c["body"][0]["text"] for c in admin.cards()] == ["first", "second"]
    assert [Path(p["file"]).name[-9:] for p in admin.posts()] == ["0001.json", "0002.json"]


def test_the_webhook_url_has_the_real_one_s_shape(teams):
    url, _ = teams
    parts = urlsplit(url)
    query = parse_qs(parts.query)

    assert parts.hostname == "127.0.0.1"
    assert re.fullmatch(r"/workflows/[0-9a-f]{32}/triggers/manual/paths/invoke", parts.path)
    assert query["api-version"] == ["2016-06-01"]
    assert query["sp"] == ["/triggers/manual/run"]
    assert query["sv"] == ["1.0"]
    assert len(query["sig"][0]) >= 40


def test_the_power_platform_form_of_the_url_is_taken_too(teams):
    url, admin = teams
    parts = urlsplit(url)
    direct = parts._replace(path="/powerautomate/automations/direct" + parts.path).geturl()

    assert requests.post(direct, json=message(), timeout=5).status_code == 202
    assert len(admin.posts()) == 1


def test_a_card_of_an_earlier_version_and_teams_own_msteams_property_are_taken(teams):
    url, admin = teams
    assert requests.post(url, json=message(card(version="1.2")), timeout=5).status_code == 202
    assert requests.post(url, json=message(card(msteams={"width": "Full"})), timeout=5).status_code == 202
    assert len(admin.posts()) == 2


# --- the signature -------------------------------------------------------------------------------
def test_a_wrong_signature_is_refused_with_401_and_nothing_is_posted(teams):
    url, admin = teams

    response = requests.post(_with_query(url, sig="not-the-signature"), json=message(), timeout=5)

    assert response.status_code == 401
    assert _error(response)["code"] == "DirectApiInvalidAuthorizationSignature"
    assert admin.posts() == []


@pytest.mark.parametrize("dropped", ["sig", "sp", "sv"])
def test_a_url_without_its_shared_access_parameters_is_refused_with_401(teams, dropped):
    url, admin = teams

    response = requests.post(_with_query(url, **{dropped: None}), json=message(), timeout=5)

    assert response.status_code == 401
    assert _error(response)["code"] == "DirectApiAuthorizationRequired"
    assert admin.posts() == []


def test_a_changed_permission_is_refused_as_a_wrong_signature(teams):
    url, _ = teams
    response = requests.post(_with_query(url, sp="/triggers/other/run"), json=message(), timeout=5)
    assert response.status_code == 401
    assert _error(response)["code"] == "DirectApiInvalidAuthorizationSignature"


def test_a_url_without_api_version_is_refused_with_400(teams):
    url, _ = teams
    response = requests.post(_with_query(url, **{"api-version": None}), json=message(), timeout=5)
    assert response.status_code == 400
    assert _error(response)["code"] == "MissingApiVersionParameter"


def test_another_workflow_is_not_found(teams):
    url, _ = teams
    other = re.sub(r"/workflows/[0-9a-f]+/", "/workflows/0123456789abcdef0123456789abcdef/", url)
    response = requests.post(other, json=message(), timeout=5)
    assert response.status_code == 404
    assert _error(response)["code"] == "WorkflowNotFound"


def test_only_post_is_taken(teams):
    url, _ = teams
    response = requests.get(url, timeout=5)
    assert response.status_code == 405
    assert "POST" in _error(response)["message"]


# --- the message -------------------------------------------------------------------------------
def test_a_body_not_sent_as_json_is_refused(teams):
    url, admin = teams
    response = requests.post(url, data=json.dumps(message()), headers={"Content-Type": "text/plain"}, timeout=5)
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "TriggerInputSchemaMismatch"
    assert "Content-Type: application/json" in error["message"]
    assert admin.posts() == []


def test_a_body_that_is_not_json_is_refused(teams):
    url, _ = teams
    response = requests.post(url, data=b"{not json", headers={"Content-Type": "application/json"}, timeout=5)
    assert response.status_code == 400
    assert "not JSON" in _error(response)["message"]


def _attachment(**changes: Any) -> dict[str, Any]:
    sent = message()
    sent["attachments"][0].update(changes)
    return sent


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"type": "AdaptiveCard", "version": "1.5", "body": []}, "must be a Teams message"),
        ({"type": "message", "text": "hello"}, '"attachments" must be a list'),
        ({"type": "message", "attachments": []}, '"attachments" must be a list'),
        (_attachment(contentType="application/vnd.microsoft.card.hero"), '"contentType" must be'),
        (_attachment(contentUrl="https://example.org/card.json"), '"contentUrl" must be null'),
        (
            {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive"}]},
            'no "content"',
        ),
    ],
)
def test_a_body_of_the_wrong_shape_is_refused_saying_what_is_wrong(teams, body, words):
    url, admin = teams
    response = requests.post(url, json=body, timeout=5)
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "TriggerInputSchemaMismatch"
    assert words in error["message"]
    assert admin.posts() == []


def test_a_message_over_28_kb_is_refused_with_413(teams):
    url, admin = teams
    sent = message(card(body=[{"type": "TextBlock", "text": "x" * MESSAGE_LIMIT}]))

    response = requests.post(url, json=sent, timeout=5)

    assert response.status_code == 413
    error = _error(response)
    assert error["code"] == "RequestEntityTooLarge"
    assert f"{len(json.dumps(sent).encode()):,} bytes" in error["message"]
    assert admin.posts() == []


def test_a_message_of_exactly_28_kb_is_taken(teams):
    url, _ = teams
    sent = message(card(body=[{"type": "TextBlock", "text": ""}]))
    padding = MESSAGE_LIMIT - len(json.dumps(sent).encode())
    sent["attachments"][0]["content"]["body"][0]["text"] = "x" * padding
    raw = json.dumps(sent).encode()
    assert len(raw) == MESSAGE_LIMIT

    response = requests.post(url, data=raw, headers={"Content-Type": "application/json"}, timeout=5)

    assert response.status_code == 202


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (
            card(body=[{"type": "TextBlok", "text": "x"}]),
            "card.body[0] is not valid against the Adaptive Card 1.5 schema: 'TextBlok'",
        ),
        (
            card(body=[{"type": "TextBlock"}]),
            "card.body[0] is not valid against the Adaptive Card 1.5 schema: 'text' is a required",
        ),
        (card(body=[{"type": "TextBlock", "text": "x", "colour": "red"}]), "('colour' was unexpected)"),
        (card(body=[{"type": "FactSet", "facts": [{"title": "a"}]}]), "card.body[0].facts[0] is not valid"),
        (card(actions=[{"type": "Action.OpenUrl", "title": "x"}]), "card.actions[0] is not valid"),
        (
            card(body=[{"type": "Container", "items": [{"type": "TextBlock", "text": "x", "color": "purple"}]}]),
            "'purple' is not one of",
        ),
        ({"type": "Card", "version": "1.5"}, '"type" must be "AdaptiveCard"'),
        (card(version=1.5), 'must be a version such as "1.5"'),
        (card(speak=["not", "a", "string"]), "card.speak is not valid"),
    ],
)
def test_a_card_invalid_against_the_schema_is_refused_saying_where(teams, content, words):
    url, admin = teams
    response = requests.post(url, json=message(content), timeout=5)
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "InvalidAdaptiveCard"
    assert words in error["message"]
    assert admin.posts() == []


@pytest.mark.parametrize("version", ["1.6", "2.0", "1.5.1"])
def test_a_card_of_a_version_above_what_teams_renders_is_refused(teams, version):
    url, admin = teams
    response = requests.post(url, json=message(card(version=version)), timeout=5)
    assert response.status_code == 400
    assert "higher than 1.5, the highest Teams renders" in _error(response)["message"]
    assert admin.posts() == []


def test_an_element_new_in_1_6_is_refused_even_with_version_1_5(teams):
    url, _ = teams
    # Action.OpenUrlDialog came with 1.6: the 1.5 schema does not know it.
    content = card(actions=[{"type": "Action.OpenUrlDialog", "title": "x", "url": "https://example.org"}])
    response = requests.post(url, json=message(content), timeout=5)
    assert response.status_code == 400
    assert (
        "'Action.OpenUrlDialog' is not an element or action type of Adaptive Cards 1.5" in _error(response)["message"]
    )


def test_the_second_of_two_attachments_is_checked_too(teams):
    url, _ = teams
    sent = message()
    sent["attachments"].append({**sent["attachments"][0], "content": card(version="1.6")})
    response = requests.post(url, json=sent, timeout=5)
    assert response.status_code == 400
    assert _error(response)["message"].startswith("attachment 2: ")


def test_the_vendored_schema_is_adaptive_cards_1_5():
    from cynare.sandbox.teams.card_schema import SCHEMA_FILE

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-06/schema#"
    assert "Table" in schema["definitions"]  # new in 1.5
    assert "Action.OpenUrlDialog" not in schema["definitions"]  # new in 1.6
