"""The posting functions from their entrypoints: a message that keeps failing ends as its entity's issue."""

from __future__ import annotations

import json

import azure.functions as func
import pytest
from azure.functions.queue import QueueMessage

from cynare.adapters.secrets_box import SecretsBox
from cynare.service_layer.xero_port import IssueKind
from tests.e2e.functions import function_named, run_now, warehouse_of_this_test


def _message(entity: str, dequeue_count: int) -> QueueMessage:
    return QueueMessage(id="m1", body=json.dumps({"entity": entity, "reason": "test"}).encode(),
                        dequeue_count=dequeue_count)  # fmt: skip


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, storage_connection: str, unique_name: str) -> None:
    run_now(monkeypatch, storage_connection, unique_name)
    monkeypatch.setenv("CYNARE_TOKEN_KEY", SecretsBox.new_key_text())


@pytest.mark.usefixtures("app_env")
def test_the_last_failing_try_of_a_message_records_the_error_on_its_entity() -> None:
    post = function_named("post_to_xero")
    with pytest.raises(ValueError, match="not an entity of this firm"):
        post(_message("XX", dequeue_count=1))
    with warehouse_of_this_test().for_entity("XX") as work:
        assert work.issues.open() == []  # a first failure is retried by the host, not reported
    with pytest.raises(ValueError):
        post(_message("XX", dequeue_count=5))
    with warehouse_of_this_test().for_entity("XX") as work:
        [issue] = work.issues.open()
    assert issue.kind is IssueKind.POISONED and "not an entity of this firm" in issue.message


@pytest.mark.usefixtures("app_env")
def test_a_message_set_aside_shows_as_its_entity_s_issue() -> None:
    function_named("xero_post_poisoned")(_message("UK", dequeue_count=1))
    with warehouse_of_this_test().for_entity("UK") as work:
        [issue] = work.issues.open()
    assert issue.kind is IssueKind.POISONED and "failed 5 times" in issue.message


@pytest.mark.usefixtures("app_env")
def test_an_entity_not_connected_is_reported_not_failed() -> None:
    function_named("post_to_xero")(_message("UK", dequeue_count=1))
    with warehouse_of_this_test().for_entity("UK") as work:
        [issue] = work.issues.open()
    assert issue.kind is IssueKind.NOT_CONNECTED


@pytest.mark.usefixtures("app_env")
def test_an_admin_starts_the_night_on_demand() -> None:
    request = func.HttpRequest("POST", "/api/night", body=b"", headers={})
    response = function_named("start_night")(request)
    assert response.status_code == 202
    body = json.loads(response.get_body())
    assert body["queued"] == ["IE", "UK", "US"] and body["imported"] == []
