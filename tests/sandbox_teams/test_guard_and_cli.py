"""The stand-in answers only its own developer, never logs its signature, and the CLI says how to use it."""

from __future__ import annotations

import http.client
import logging
from urllib.parse import urlsplit

import pytest
import requests

from cynare.sandbox.teams import cli
from cynare.sandbox.teams.guard import TOKEN_HEADER, mask_sig
from cynare.sandbox.teams.stand_in import TeamsStandIn
from tests.sandbox_teams.conftest import message


def _raw(url: str, headers: dict[str, str], body: bytes = b"") -> int:
    """A POST with exactly these headers (requests writes its own Host)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    try:
        conn.putrequest("POST", f"{parts.path}?{parts.query}", skip_host=True, skip_accept_encoding=True)
        for key, value in headers.items():
            conn.putheader(key, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        return conn.getresponse().status
    finally:
        conn.close()


@pytest.mark.parametrize("token", [None, "", "wrong"])
def test_the_admin_surface_wants_the_run_s_token(teams, token):
    url, admin = teams
    base = admin.base
    headers = {} if token is None else {TOKEN_HEADER: token}

    assert requests.get(f"{base}/posts", headers=headers, timeout=5).status_code == 401
    assert requests.post(f"{base}/faults", json={"kind": "500"}, headers=headers, timeout=5).status_code == 401
    assert admin.faults() == []
    assert requests.post(url, json=message(), timeout=5).status_code == 202


def test_each_stand_in_has_its_own_signature_and_admin_token():
    one, two = TeamsStandIn(), TeamsStandIn()
    assert one.sig != two.sig
    assert one.admin_token != two.admin_token
    assert len(one.sig) >= 40


def test_a_request_naming_another_host_or_carrying_an_origin_is_refused(teams):
    url, admin = teams
    body = b'{"type": "message"}'
    port = urlsplit(url).port
    good = {"Host": f"127.0.0.1:{port}", "Content-Type": "application/json"}

    assert _raw(url, {**good, "Host": f"evil.example:{port}"}, body) == 403
    assert _raw(url, {**good, "Origin": "http://evil.example"}, body) == 403
    assert _raw(url, {**good, "Host": f"localhost:{port}"}, body) == 400  # itself: on to the body check
    assert admin.posts() == []


def test_an_unstarted_stand_in_refuses_empty_secrets_and_has_no_port():
    with pytest.raises(ValueError, match="sig must not be empty"):
        TeamsStandIn(sig="")
    with pytest.raises(RuntimeError, match="not started"):
        _ = TeamsStandIn().webhook_url


def test_the_signature_never_reaches_the_log(teams, caplog):
    url, _ = teams
    sig = urlsplit(url).query.split("sig=")[1]
    caplog.set_level(logging.DEBUG)

    requests.post(url, json=message(), timeout=5)
    requests.post(url.replace("sig=", "sig=x"), json=message(), timeout=5)

    # The test's own client (urllib3) logs the URL it was given; the stand-in's loggers must not.
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith(("cynare.sandbox", "werkzeug")))
    assert "/triggers/manual/paths/invoke" in ours  # the request lines were logged...
    assert sig not in ours  # ...without the signature
    assert ours.count("sig=***") == 2


def test_mask_sig_hides_only_the_signature():
    assert mask_sig("POST /w/invoke?api-version=1&sig=abc-123_x&sv=1.0 HTTP/1.1") == (
        "POST /w/invoke?api-version=1&sig=***&sv=1.0 HTTP/1.1"
    )


def test_the_cli_prints_the_webhook_url_admin_token_and_capture_folder(tmp_path, capsys):
    stand_in = cli.start(0, tmp_path)
    try:
        printed = capsys.readouterr().out
        assert stand_in.webhook_url in printed
        assert "CYNARE_TEAMS_WEBHOOK_URL" in printed
        assert stand_in.admin_token in printed
        assert str(tmp_path / "teams") in printed
        assert requests.post(stand_in.webhook_url, json=message(), timeout=5).status_code == 202
        assert len(list((tmp_path / "teams").glob("*.json"))) == 1
    finally:
        stand_in.stop()
