"""LocalWeb serves a Functions app's HTTP functions on loopback as the host would: the request's method,
path, query, headers, cookies and body reach the function; its status, headers (each Set-Cookie, a
Location) and body reach the browser; nothing outside the route prefix, and no other Host, is served.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import azure.functions as func
import pytest
import requests

from cynare.entrypoints.local_host import LocalHost
from cynare.entrypoints.local_web import HOST, LocalWeb

ROOT = Path(__file__).resolve().parents[2]


def small_app() -> func.FunctionApp:
    app = func.FunctionApp()

    @app.route(route="pages/{*path}", methods=["GET", "POST"], auth_level=func.AuthLevel.ANONYMOUS,
               trigger_arg_name="request")  # fmt: skip
    def pages(request: func.HttpRequest) -> func.HttpResponse:
        said = {
            "method": request.method, "path": request.route_params.get("path", ""), "query": dict(request.params),
            "cookie": request.headers.get("cookie", ""), "type": request.headers.get("content-type", ""),
            "body": request.get_body().decode(),
        }  # fmt: skip
        if request.route_params.get("path") == "go":
            response = func.HttpResponse(status_code=303, headers={"Location": "/api/pages/there"})
            response.headers.add("Set-Cookie", "a=1; Path=/api/pages; HttpOnly")
            response.headers.add("Set-Cookie", "b=2; Path=/api/pages")
            return response
        return func.HttpResponse(json.dumps(said), mimetype="application/json", headers={"X-Seen": "yes"})

    @app.route(route="night", methods=["POST"], trigger_arg_name="request")
    def night(request: func.HttpRequest) -> func.HttpResponse:
        raise RuntimeError("the night failed")

    return app


@pytest.fixture
def web() -> Iterator[LocalWeb]:
    with LocalHost(small_app(), {}, ROOT / "host.json") as host, LocalWeb(host) as served:
        yield served


def test_a_request_reaches_the_function_whole_and_its_answer_comes_back_whole(web: LocalWeb) -> None:
    with requests.Session() as browser:
        browser.cookies.set("cynare_dev_user", "someone.sig", domain=HOST, path="/api/pages")
        answer = browser.post(f"{web.url}/api/pages/exceptions/UK?entity=UK&cause=", data={"note": "by hand & co"})
        assert answer.status_code == 200 and answer.headers["X-Seen"] == "yes"
        assert answer.headers["Content-Type"] == "application/json"
        said = answer.json()
        assert said["method"] == "POST" and said["path"] == "exceptions/UK"
        assert said["query"] == {"entity": "UK", "cause": ""}
        assert said["cookie"] == "cynare_dev_user=someone.sig"
        assert said["type"] == "application/x-www-form-urlencoded" and said["body"] == "note=by+hand+%26+co"

        moved = browser.get(f"{web.url}/api/pages/go", allow_redirects=False)
        assert moved.status_code == 303 and moved.headers["Location"] == "/api/pages/there"
        assert moved.raw.headers.getlist("Set-Cookie") == ["a=1; Path=/api/pages; HttpOnly", "b=2; Path=/api/pages"]


def test_the_pages_answer_at_their_root_and_the_site_root_leads_there(web: LocalWeb) -> None:
    assert web.pages_url == f"http://{HOST}:{web.port}/api/pages/"
    for address in (web.pages_url, web.pages_url.rstrip("/")):
        assert requests.get(address, timeout=10).json()["path"] == ""
    moved = requests.get(f"{web.url}/", allow_redirects=False, timeout=10)
    assert (moved.status_code, moved.headers["Location"]) == (302, web.pages_url)
    assert web.host.http_function_for("GET", "/api/pages") == "pages"
    assert web.host.http_function_for("DELETE", "/api/pages/x") is None


def test_only_the_apps_functions_are_served_and_only_to_this_address(web: LocalWeb) -> None:
    outside = requests.get(f"{web.url}/etc/passwd", timeout=10)
    assert outside.status_code == 404 and "under /api/" in outside.text
    assert requests.get(f"{web.url}/api/nothing", timeout=10).status_code == 404
    assert requests.get(f"{web.url}/api/night", timeout=10).status_code == 404  # POST only
    assert requests.post(f"{web.url}/api/night", timeout=10).status_code == 500  # it raised, as the host says
    rebound = requests.get(web.pages_url, headers={"Host": f"evil.example:{web.port}"}, timeout=10)
    assert rebound.status_code == 421
    assert requests.get(web.pages_url.replace(HOST, "localhost"), timeout=10).status_code == 200


def test_it_stops_cleanly_and_a_taken_port_says_so(web: LocalWeb) -> None:
    port = web.port
    with pytest.raises(OSError):
        LocalWeb(web.host, port).start()
    web.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://{HOST}:{port}/api/pages/", timeout=2)
    web.stop()  # twice is harmless
