"""Entra's client-credentials grant as the stand-in answers it: tokens for the one app, Entra's errors."""

from __future__ import annotations

import base64
import time

import pytest
import requests

from tests.sandbox_graph.conftest import get_token, message, send_mail

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


def _token_request(graph, tenant=None, auth=None, **form):
    fields = {
        "grant_type": "client_credentials",
        "client_id": graph.client_id,
        "client_secret": graph.client_secret,
        "scope": GRAPH_SCOPE,
    }
    fields.update(form)
    fields = {k: v for k, v in fields.items() if v is not None}
    return requests.post(
        f"{graph.url}/{tenant or graph.tenant_id}/oauth2/v2.0/token", data=fields, headers=auth or {}, timeout=5
    )


def test_a_token_for_the_app_is_a_bearer_token_with_its_lifetime(graph):
    reply = _token_request(graph)
    assert reply.status_code == 200
    body = reply.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3599
    assert len(body["access_token"]) >= 40
    assert reply.headers["Cache-Control"] == "no-store"


def test_graphs_application_id_is_an_accepted_scope_too(graph):
    assert _token_request(graph, scope="00000003-0000-0000-c000-000000000000/.default").status_code == 200


def test_client_id_and_secret_by_http_basic_are_accepted(graph):
    basic = base64.b64encode(f"{graph.client_id}:{graph.client_secret}".encode()).decode()
    reply = _token_request(graph, auth={"Authorization": f"Basic {basic}"}, client_id=None, client_secret=None)
    assert reply.status_code == 200, reply.text


@pytest.mark.parametrize(
    ("change", "status", "error", "aadsts"),
    [
        ({"client_secret": "not-the-secret"}, 401, "invalid_client", 7000215),
        ({"client_secret": None}, 401, "invalid_client", 7000216),
        ({"client_id": "5d1e0000-0000-4000-8000-000000000000"}, 400, "unauthorized_client", 700016),
        ({"scope": "https://graph.microsoft.com/Mail.Send"}, 400, "invalid_scope", 1002012),
        ({"scope": None}, 400, "invalid_request", 900144),
        ({"grant_type": None}, 400, "invalid_request", 900144),
        ({"grant_type": "password"}, 400, "unsupported_grant_type", 70003),
    ],
)
def test_refusals_are_entras(graph, change, status, error, aadsts):
    reply = _token_request(graph, **change)
    assert reply.status_code == status
    body = reply.json()
    assert body["error"] == error
    assert body["error_codes"] == [aadsts]
    assert body["error_description"].startswith(f"AADSTS{aadsts}: ")
    assert {"trace_id", "correlation_id", "timestamp"} <= set(body)
    assert graph.client_secret not in reply.text


def test_an_unknown_tenant_is_not_found(graph):
    reply = _token_request(graph, tenant="5d1e0000-0000-4000-8000-0000000000ff")
    assert reply.status_code == 400
    assert reply.json()["error_codes"] == [90002]


def test_the_token_endpoint_wants_post(graph):
    reply = requests.get(f"{graph.url}/{graph.tenant_id}/oauth2/v2.0/token", timeout=5)
    assert reply.status_code == 405


def test_an_expired_token_is_refused_by_graph(make_graph):
    g = make_graph(token_lifetime=1)
    headers = {"Authorization": f"Bearer {get_token(g)}"}
    time.sleep(1.1)
    reply = send_mail(g, headers, {"message": message()})
    assert reply.status_code == 401
    assert reply.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert reply.json()["error"]["message"] == "Lifetime validation failed, the token is expired."
    assert g.stand_in.sent == []


def test_the_app_registration_keeps_its_secret_out_of_its_repr(graph):
    assert graph.client_secret not in repr(graph.stand_in.identity.app)
    assert graph.client_secret not in repr(graph)
