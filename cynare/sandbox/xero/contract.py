"""Checking requests and responses against Xero's official OpenAPI spec with openapi-core.

The spec is read from `CYNARE_XERO_SPEC` or `<repo>/../shared/xero-openapi/xero_accounting.yaml`,
loaded once per process (about 0.6 s), and never copied into the project. Where it is missing the
contract tests skip: get it from Xero's public Xero-OpenAPI GitHub repository.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.datastructures import Headers

SPEC_ENV = "CYNARE_XERO_SPEC"
SERVER = "https://api.xero.com"
PREFIX = "/api.xro/2.0"
WHERE_TO_GET = (
    "Xero's Accounting API spec is missing: set CYNARE_XERO_SPEC to xero_accounting.yaml from "
    "https://github.com/XeroAPI/Xero-OpenAPI (or put it at ../shared/xero-openapi/ beside the repository)"
)

_cache: dict[str, Any] = {}
_cache_lock = threading.Lock()


def spec_path() -> Path:
    configured = os.environ.get(SPEC_ENV)
    if configured:
        return Path(configured)
    repo = Path(__file__).resolve().parents[3]
    return repo.parent / "shared" / "xero-openapi" / "xero_accounting.yaml"


def load_spec(path: Path | None = None) -> Any:
    """The parsed spec, cached per path for the life of the process."""
    from openapi_core import Config, OpenAPI

    chosen = str(path or spec_path())
    with _cache_lock:
        if chosen not in _cache:
            # The spec writes a boolean default as the string 'false', so skip the spec validator.
            _cache[chosen] = OpenAPI.from_file_path(chosen, config=Config(spec_validator_cls=None))
        return _cache[chosen]


# Fields the SDK writes on every request although the spec marks them read-only (always false).
_SDK_READ_ONLY_NOISE = frozenset({"HasAttachments", "HasErrors", "HasValidationErrors", "HasAccount"})


def _without_sdk_noise(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_sdk_noise(v) for k, v in value.items() if not (k in _SDK_READ_ONLY_NOISE and v is False)}
    if isinstance(value, list):
        return [_without_sdk_noise(v) for v in value]
    return value


class _Request:
    host_url = SERVER

    def __init__(
        self, method: str, path: str, query: Mapping[str, str], headers: Headers, body: bytes | None, content_type: str
    ) -> None:
        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import ImmutableMultiDict

        self.method = method
        self.path = path
        self.content_type = content_type
        self.body = body
        if body and content_type.startswith("application/json"):
            # A body that is not JSON stays as it is: the validator reports it.
            with contextlib.suppress(ValueError):
                self.body = json.dumps(_without_sdk_noise(json.loads(body))).encode()
        # The SDK writes query booleans as True/False; Xero takes them, the spec's boolean does not.
        fixed = {k: (v.lower() if v in ("True", "False") else v) for k, v in query.items()}
        # openapi-core fills in the path parameters on this object, so it must be built once.
        self.parameters = RequestParameters(query=ImmutableMultiDict(fixed), header=headers, cookie={})


@dataclass
class _Response:
    status_code: int
    data: bytes
    content_type: str
    headers: Headers


def _describe(exc: BaseException) -> str:
    parts = [f"{type(exc).__name__}: {exc}"]
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for inner in getattr(current, "schema_errors", None) or []:
            parts.append(f"  {getattr(inner, 'message', inner)} at {list(getattr(inner, 'absolute_path', []))}")
        if current.__cause__ is not None:
            stack.append(current.__cause__)
            parts.append(f"  caused by {type(current.__cause__).__name__}: {current.__cause__}")
    return "\n".join(parts)


class ContractChecker:
    """Validates accounting calls; returns the violations as text (empty when the call conforms)."""

    def __init__(self, spec: Any) -> None:
        self.spec = spec

    def _request(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Headers,
        body: bytes | None,
        content_type: str,
    ) -> _Request:
        full = path if path.startswith(PREFIX) else PREFIX + path
        return _Request(method.lower(), full, query, headers, body or None, content_type or "application/json")

    def check_request(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Headers,
        body: bytes | None,
        content_type: str = "application/json",
    ) -> list[str]:
        request = self._request(method, path, query, headers, body, content_type)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.spec.validate_request(request)
        except Exception as exc:  # openapi-core raises a family of errors; each is a violation
            return [f"request {method} {path}: {_describe(exc)}"]
        return []

    def check_response(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Headers,
        status: int,
        body: bytes,
        content_type: str = "application/json",
    ) -> list[str]:
        from openapi_core.templating.responses.exceptions import ResponseNotFound

        request = self._request(method, path, query, headers, None, "application/json")
        response = _Response(status, body, content_type, Headers({"Content-Type": content_type}))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the spec's OAuth2 scheme is not one openapi-core checks
                self.spec.validate_response(request, response)
        except ResponseNotFound:
            return []  # the spec leaves out 401, 403, 404, 429 and 5xx: nothing to check against
        except Exception as exc:  # each failure is a violation to report, whatever its class
            return [f"response {status} to {method} {path}: {_describe(exc)}"]
        return []
