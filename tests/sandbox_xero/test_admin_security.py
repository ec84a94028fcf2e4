"""The served emulator answers only its own developer: admin token, Host and Origin, snapshot folder.

A web page the developer has open can make the browser send requests to 127.0.0.1 (a cross-site
form POST, or a DNS-rebound name): none of them may reach the admin surface or change the books.
"""

from __future__ import annotations

import hmac
import http.client
import json
from datetime import date
from urllib.parse import urlencode

import pytest
import requests

from cynare.sandbox.xero import cli, seed
from cynare.sandbox.xero.emulator import Emulator
from cynare.sandbox.xero.guard import TOKEN_HEADER
from tests.sandbox_xero.conftest import UK


def _raw(emulator: Emulator, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, bytes]:
    """A request with exactly these headers (requests and urllib3 write their own Host)."""
    conn = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=5)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for key, value in headers.items():
            conn.putheader(key, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        reply = conn.getresponse()
        return reply.status, reply.read()
    finally:
        conn.close()


# --- the admin token --------------------------------------------------------------------------
def test_each_emulator_has_its_own_admin_token(xero_emulator):
    other = Emulator()
    assert len(xero_emulator.admin_token) >= 32
    assert other.admin_token != xero_emulator.admin_token
    assert xero_emulator.admin_headers == {TOKEN_HEADER: xero_emulator.admin_token}


@pytest.mark.parametrize("token", [None, "", "wrong", "x" * 43])
def test_admin_without_the_token_is_refused_and_changes_nothing(xero_emulator, tmp_path, token):
    base = f"{xero_emulator.url}/_sandbox"
    headers = {} if token is None else {TOKEN_HEADER: token}
    xero_emulator.inject("503")
    for path, body in [
        ("UK/lock-date", {"period_lock_date": "2026-06-30"}),
        ("UK/day-limit", {"limit": 1}),
        ("reset", None),
        ("faults", {"kind": "500"}),
        ("snapshot/save", {"name": "stolen.json"}),
    ]:
        reply = requests.post(f"{base}/{path}", json=body, headers=headers, timeout=5)
        assert reply.status_code == 401, (path, reply.text)
        assert TOKEN_HEADER in reply.json()["Detail"]
    for path in ("state", "calls"):
        assert requests.get(f"{base}/{path}", headers=headers, timeout=5).status_code == 401
    uk = xero_emulator.tenant("UK")
    assert uk.period_lock_date is None and uk.day_limit == 5000
    assert [f.kind for f in xero_emulator.faults.pending()] == ["503"]
    assert list(xero_emulator.snapshot_dir.glob("*")) == []


def test_admin_with_the_token_answers(xero_emulator, xero_admin):
    assert requests.get(f"{xero_emulator.url}/_sandbox/state", headers=xero_emulator.admin_headers, timeout=5).json()[
        UK
    ]["entity"] == ("UK")
    assert xero_admin.post("UK/lock-date", {"period_lock_date": "2026-06-30"}).status_code == 200
    assert xero_emulator.tenant("UK").period_lock_date == date(2026, 6, 30)


# --- Host and Origin --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "host", ["evil.example:{port}", "attacker.test", "127.0.0.1", "127.0.0.1:1", "localhost.:{port}", ""]
)
def test_a_foreign_host_is_refused_on_every_route(xero_emulator, host):
    """DNS rebinding: the browser sends the attacker's name as Host, whatever address it resolved to."""
    host = host.format(port=xero_emulator.port)
    client = seed.ENTITY_CLIENTS["UK"]
    token_body = urlencode(
        {"grant_type": "client_credentials", "client_id": client.client_id, "client_secret": client.client_secret}
    ).encode()
    admin = {"Host": host, **xero_emulator.admin_headers}
    for method, path, headers, body in [
        ("GET", "/_sandbox/state", admin, b""),
        ("POST", "/_sandbox/reset", {**admin, "Content-Type": "application/json"}, b"{}"),
        ("POST", "/connect/token", {"Host": host, "Content-Type": "application/x-www-form-urlencoded"}, token_body),
        ("GET", "/connections", {"Host": host}, b""),
        ("GET", "/identity/connect/authorize", {"Host": host}, b""),
        ("GET", "/api.xro/2.0/Organisation", {"Host": host, "xero-tenant-id": UK}, b""),
    ]:
        status, reply = _raw(xero_emulator, method, path, headers, body)
        assert status == 403, (path, reply)
        assert b"Host" in reply
    assert xero_emulator.log.records() == []


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}"])
def test_loopback_hosts_are_served(xero_emulator, host):
    host = host.format(port=xero_emulator.port)
    status, reply = _raw(xero_emulator, "GET", "/_sandbox/state", {"Host": host, **xero_emulator.admin_headers})
    assert status == 200 and json.loads(reply)[UK]["entity"] == "UK"


def test_a_cross_site_post_is_refused_even_with_the_token(xero_emulator):
    """Whatever a page could learn, a request from another origin never changes anything."""
    base = f"{xero_emulator.url}/_sandbox"
    for origin in ("http://evil.example", "null", f"http://127.0.0.1:{xero_emulator.port + 1}", "https://localhost"):
        headers = {**xero_emulator.admin_headers, "Origin": origin}
        reply = requests.post(
            f"{base}/UK/lock-date", json={"period_lock_date": "2026-06-30"}, headers=headers, timeout=5
        )
        assert reply.status_code == 403 and "Origin" in reply.json()["Detail"], reply.text
        assert requests.get(f"{base}/state", headers=headers, timeout=5).status_code == 403
    assert xero_emulator.tenant("UK").period_lock_date is None


def test_a_cross_site_post_to_the_api_is_refused(xero_emulator):
    client = seed.ENTITY_CLIENTS["UK"]
    reply = requests.post(
        xero_emulator.token_url,
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret),
        headers={"Origin": "http://evil.example"},
        timeout=5,
    )
    assert reply.status_code == 403
    token = xero_emulator.token("UK")
    reply = requests.put(
        f"{xero_emulator.accounting_url}/Contacts",
        json={"Contacts": [{"Name": "Cross Site Ltd"}]},
        headers={"Authorization": f"Bearer {token}", "xero-tenant-id": UK, "Origin": "http://evil.example"},
        timeout=5,
    )
    assert reply.status_code == 403
    assert not any(c.name == "Cross Site Ltd" for c in xero_emulator.tenant("UK").contacts.values())


def test_the_consent_form_still_posts_from_its_own_page(xero_emulator):
    """The browser posts the consent form with the emulator's own origin (either loopback name)."""
    for origin in (xero_emulator.url, f"http://localhost:{xero_emulator.port}"):
        reply = requests.post(
            f"{xero_emulator.url}/identity/connect/authorize",
            data={
                "client_id": seed.WEB_CLIENT_ID,
                "redirect_uri": "http://localhost:5000/callback",
                "scope": "openid accounting.transactions",
                "state": "s",
                "response_type": "code",
                "tenant_id": UK,
            },
            headers={"Origin": origin},
            allow_redirects=False,
            timeout=5,
        )
        assert reply.status_code == 302, reply.text
        assert reply.headers["Location"].startswith("http://localhost:5000/callback?code=")


# --- the snapshot folder ----------------------------------------------------------------------
def test_snapshots_over_http_live_in_the_snapshot_folder(xero_emulator, xero_admin, tmp_path):
    xero_emulator.set_lock_date("UK", date(2026, 4, 30))
    reply = xero_admin.post("snapshot/save", {"name": "books.json"})
    assert reply.status_code == 200, reply.text
    assert (xero_emulator.snapshot_dir / "books.json").is_file()
    xero_emulator.reset()
    assert xero_admin.post("snapshot/load", {"name": "books.json"}).status_code == 200
    assert xero_emulator.tenant("UK").period_lock_date == date(2026, 4, 30)
    # The older key still works, with the same rule.
    assert xero_admin.post("snapshot/save", {"path": "again.json"}).status_code == 200
    assert (xero_emulator.snapshot_dir / "again.json").is_file()
    missing = xero_admin.post("snapshot/load", {"name": "nothing.json"})
    assert missing.status_code == 404 and "nothing.json" in missing.text


def test_snapshot_names_cannot_leave_the_folder(xero_emulator, xero_admin, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.json"
    victim.write_text("keep me", encoding="utf-8")
    folder = xero_emulator.snapshot_dir
    (folder / "link.json").symlink_to(victim)
    (folder / "dirlink").symlink_to(outside, target_is_directory=True)
    refused = [
        "../victim.json",
        "../../outside/victim.json",
        str(victim),
        str(outside / "new.json"),
        "dirlink/victim.json",
        "dirlink/new.json",
        "link.json",
        "..",
        ".",
        "",
        "a\\..\\b.json",
        "C:evil.json",
        "bad\x00.json",
        42,
        None,
    ]
    for name in refused:
        for action in ("save", "load"):
            reply = xero_admin.post(f"snapshot/{action}", {"name": name})
            assert reply.status_code == 400, (action, name, reply.text)
            assert "snapshot" in reply.json()["Message"], reply.text
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in outside.iterdir()) == ["victim.json"]
    assert xero_admin.post("snapshot/load", {"path": "/etc/passwd"}).status_code == 400


def test_the_python_api_still_saves_where_the_developer_says(xero_emulator, tmp_path):
    path = tmp_path / "anywhere" / "books.json"
    path.parent.mkdir()
    xero_emulator.save_snapshot(path)
    xero_emulator.load_snapshot(path)
    assert Emulator(snapshot_path=str(path)).tenant("UK").name == "Harrow & Vance LLP"


# --- the CLI ----------------------------------------------------------------------------------
def test_the_cli_prints_its_token_and_snapshot_folder(tmp_path, capsys):
    snapshot = tmp_path / "mine" / "start.json"
    snapshot.parent.mkdir()
    seeded = Emulator()
    seeded.set_lock_date("UK", date(2026, 3, 31))
    seeded.save_snapshot(snapshot)
    emulator = cli.start(port=0, snapshot=str(snapshot), time_scale=1.0, snapshot_dir=tmp_path / "snaps")
    try:
        out = capsys.readouterr().out
        assert emulator.admin_token in out and TOKEN_HEADER in out
        assert str(tmp_path / "snaps") in out
        # --snapshot names any file the developer chooses on the command line.
        assert emulator.tenant("UK").period_lock_date == date(2026, 3, 31)
        assert emulator.snapshot_dir == (tmp_path / "snaps").resolve()
        reply = requests.get(f"{emulator.url}/_sandbox/state", headers=emulator.admin_headers, timeout=5)
        assert reply.status_code == 200
    finally:
        emulator.stop()


def test_the_cli_snapshot_folder_defaults_under_the_current_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    emulator = cli.start(port=0, snapshot=None, time_scale=1.0)
    try:
        assert emulator.snapshot_dir == (tmp_path / cli.DEFAULT_SNAPSHOT_DIR).resolve()
        assert str(emulator.snapshot_dir) in capsys.readouterr().out
    finally:
        emulator.stop()


def test_the_token_is_compared_in_constant_time(xero_emulator, monkeypatch):
    from cynare.sandbox.xero import guard

    compared: list[tuple[bytes, bytes]] = []
    original = hmac.compare_digest

    def compare_digest(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return original(a, b)

    monkeypatch.setattr(guard.hmac, "compare_digest", compare_digest)
    headers = {TOKEN_HEADER: "wrong"}
    assert requests.get(f"{xero_emulator.url}/_sandbox/state", headers=headers, timeout=5).status_code == 401
    assert compared == [(b"wrong", xero_emulator.admin_token.encode())]


def test_an_unserved_app_refuses_everything():
    """The accepted Host is bound when serving starts; the bare WSGI app answers nobody."""
    from werkzeug.test import Client

    emulator = Emulator()
    client = Client(emulator.app)
    for host in ("127.0.0.1", "localhost", "127.0.0.1:80"):
        reply = client.get("/_sandbox/state", headers={"Host": host, **emulator.admin_headers})
        assert reply.status_code == 403
