"""Faults on demand, the admin surface and its guard, and the `cynare sandbox graph` command."""

from __future__ import annotations

import time

import pytest
import requests
from typer.testing import CliRunner

from cynare.entrypoints.cli import app as cynare_cli
from cynare.sandbox.graph import cli
from cynare.sandbox.graph.guard import TOKEN_HEADER
from tests.sandbox_graph.conftest import error_of, message, send_mail


def test_a_queued_429_answers_the_next_sendmails_with_retry_after(graph, bearer):
    graph.admin.fault(429, count=2, path="sendMail", retry_after=7)
    for _ in range(2):
        reply = send_mail(graph, bearer, {"message": message()})
        assert error_of(reply)[:2] == (429, "ApplicationThrottled")
        assert reply.headers["Retry-After"] == "7"
    assert send_mail(graph, bearer, {"message": message()}).status_code == 202
    assert [c["status"] for c in graph.admin.calls() if c["path"].endswith("sendMail")] == [429, 429, 202]
    assert len(graph.stand_in.sent) == 1


def test_a_fault_can_carry_graphs_code_and_message(graph, bearer):
    graph.admin.fault(400, path="sendMail", code="ErrorInvalidRecipients", message="Recipient 'x' isn't resolved.")
    reply = send_mail(graph, bearer, {"message": message()})
    assert error_of(reply) == (400, "ErrorInvalidRecipients", "Recipient 'x' isn't resolved.")


def test_a_fault_waits_for_its_path(graph, bearer):
    graph.admin.fault(503, path="/messages")
    assert send_mail(graph, bearer, {"message": message()}).status_code == 202
    draft = requests.post(f"{graph.url}/v1.0/users/{graph.mailbox}/messages", json=message(), headers=bearer, timeout=5)
    assert error_of(draft)[:2] == (503, "ServiceNotAvailable")
    assert graph.admin.get("faults").json() == {"faults": []}


def test_a_fault_can_fail_the_token_endpoint(graph):
    graph.admin.fault(503, path="oauth2")
    form = {"grant_type": "client_credentials", "client_id": graph.client_id, "client_secret": graph.client_secret}
    form["scope"] = "https://graph.microsoft.com/.default"
    url = f"{graph.url}/{graph.tenant_id}/oauth2/v2.0/token"
    assert error_of(requests.post(url, data=form, timeout=5))[0] == 503
    assert requests.post(url, data=form, timeout=5).status_code == 200


def test_status_0_drops_the_connection(graph, bearer):
    graph.admin.fault(0, path="sendMail")
    with pytest.raises(requests.ConnectionError):
        send_mail(graph, bearer, {"message": message()})
    assert graph.stand_in.sent == []
    assert graph.admin.calls()[-1]["status"] == 0


def test_a_slow_fault_waits_before_answering(graph, bearer):
    graph.stand_in.inject(504, path="sendMail", seconds=0.3)
    started = time.monotonic()
    reply = send_mail(graph, bearer, {"message": message()})
    assert time.monotonic() - started >= 0.3
    assert error_of(reply)[0] == 504


@pytest.mark.parametrize("body", [{}, {"status": 200}, {"status": 429, "count": 0}, {"status": "soon"}])
def test_a_fault_the_admin_cannot_understand_is_refused(graph, body):
    reply = graph.admin.post("faults", body)
    assert reply.status_code == 400
    assert graph.stand_in.faults.pending() == []


def test_messages_are_listed_without_their_bytes(graph, bearer):
    send_mail(graph, bearer, {"message": message()})
    [listed] = graph.admin.messages()
    assert listed["from"] == graph.mailbox
    assert listed["to"] == ["finance@harrowvance.example"]
    assert [a["name"] for a in listed["attachments"]] == ["trend.png", "reconciliation.xlsx"]
    assert listed["attachments"][0] | {"sha256": ""} == {
        "name": "trend.png",
        "content_type": "image/png",
        "size": listed["attachments"][0]["size"],
        "sha256": "",
        "is_inline": True,
        "content_id": "trend",
    }
    assert listed["eml"] == str(graph.stand_in.sent[0].eml)


def test_reset_forgets_messages_faults_calls_and_tokens_but_keeps_files(graph, bearer):
    send_mail(graph, bearer, {"message": message()})
    graph.admin.fault(503)
    graph.admin.reset()
    assert graph.admin.messages() == []
    assert graph.stand_in.faults.pending() == []
    assert len(list(graph.mail_dir.iterdir())) == 1
    assert error_of(send_mail(graph, bearer, {"message": message()}))[0] == 401
    assert graph.admin.calls()[-1]["status"] == 401


# --- the guard ------------------------------------------------------------------------------------
@pytest.mark.parametrize("token", [None, "", "wrong"])
def test_admin_without_the_token_is_refused_and_changes_nothing(graph, token):
    headers = {} if token is None else {TOKEN_HEADER: token}
    for method, path in [("POST", "faults"), ("POST", "reset"), ("GET", "messages"), ("GET", "calls")]:
        reply = requests.request(
            method, f"{graph.url}/_sandbox/{path}", json={"status": 503}, headers=headers, timeout=5
        )
        assert reply.status_code == 401, path
    assert graph.stand_in.faults.pending() == []


def test_each_stand_in_has_its_own_admin_token_and_secret(make_graph):
    one, two = make_graph(), make_graph()
    assert one.stand_in.admin_token != two.stand_in.admin_token
    assert one.client_secret != two.client_secret
    assert len(one.stand_in.admin_token) >= 32


def test_a_foreign_host_or_any_origin_is_refused(graph, bearer):
    reply = send_mail(graph, {**bearer, "Host": "graph.attacker.example"}, {"message": message()})
    assert reply.status_code == 403
    reply = send_mail(graph, {**bearer, "Origin": "https://attacker.example"}, {"message": message()})
    assert reply.status_code == 403
    reply = requests.get(
        f"{graph.url}/_sandbox/messages", headers={**graph.stand_in.admin_headers, "Origin": "null"}, timeout=5
    )
    assert reply.status_code == 403
    assert graph.stand_in.sent == []


def test_localhost_names_the_stand_in_too(graph, bearer):
    reply = send_mail(graph, {**bearer, "Host": f"localhost:{graph.stand_in.port}"}, {"message": message()})
    assert reply.status_code == 202


# --- the command ----------------------------------------------------------------------------------
def test_the_command_prints_the_settings_to_use(tmp_path, capsys):
    stand_in = cli.start(port=0, out=tmp_path, mailbox="reports@firm.example")
    try:
        printed = capsys.readouterr().out
        url = stand_in.url
    finally:
        stand_in.stop()
    assert f"CYNARE_GRAPH_URL={url}" in printed
    assert "CYNARE_REPORT_MAILBOX=reports@firm.example" in printed
    assert f"CYNARE_GRAPH_TENANT_ID={cli.SAMPLE_TENANT_ID}" in printed
    assert f"CYNARE_GRAPH_CLIENT_ID={cli.SAMPLE_CLIENT_ID}" in printed
    assert f"CYNARE_GRAPH_CLIENT_SECRET={cli.SAMPLE_CLIENT_SECRET}" in printed
    assert stand_in.admin_token in printed
    assert str(tmp_path.resolve() / "mail") in printed


def test_the_command_is_under_cynare_sandbox():
    result = CliRunner().invoke(cynare_cli, ["sandbox", "graph", "--help"])
    assert result.exit_code == 0
    for option in ("--port", "--out", "--mailbox"):
        assert option in result.output
