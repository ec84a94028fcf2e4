"""One accounting call as the resource rules see it: tenant, query, body and the time of the call."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from werkzeug.datastructures import Headers

from cynare.sandbox.xero.errors import XeroError, bad_request, validation_body
from cynare.sandbox.xero.state import Tenant

Handler = Callable[["Call"], dict[str, Any]]


@dataclass
class Call:
    tenant: Tenant
    method: str
    query: Mapping[str, str]
    headers: Headers
    body: Any
    now: datetime
    params: dict[str, str] = field(default_factory=dict)
    user: str = "Cynare Link"

    @property
    def today(self) -> date:
        return self.now.date()

    def flag(self, name: str, default: bool) -> bool:
        """A query boolean; the SDK writes `False`/`True`, Xero takes any case."""
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        return raw.strip().lower() == "true"

    def unitdp(self) -> int:
        return 4 if self.query.get("unitdp") == "4" else 2

    def elements(self, key: str) -> list[dict[str, Any]]:
        """The list under `key` in the body (Xero also accepts one bare object)."""
        body = self.body
        if isinstance(body, dict) and key in body:
            items = body[key]
        elif isinstance(body, dict):
            items = [body]
        else:
            items = body
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise bad_request(f"The request body must hold a list of {key}")
        if len(items) > 50 and key != "Contacts":
            # Xero's documented batch ceiling is 50 elements; larger posts risk timeouts.
            raise bad_request("A batch can hold at most 50 elements")
        return items


Process = Callable[[dict[str, Any]], tuple[dict[str, Any] | None, list[str]]]


def run_batch(
    call: Call, key: str, error_flag: str, elements: list[dict[str, Any]], process: Process
) -> dict[str, Any]:
    """Apply `process` to each element; good ones are saved whatever happens to the bad ones.

    With summarizeErrors (the default) any failure makes the call a 400 listing the failed elements;
    with summarizeErrors=false the call is a 200 and each element carries its own status and errors.
    """
    summarize = call.flag("summarizeErrors", True)
    results: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for element in elements:
        rendered, errors = process(element)
        if errors or rendered is None:
            item = dict(element)
            item[error_flag] = True
            item["StatusAttributeString"] = "ERROR"
            item["ValidationErrors"] = [{"Message": m} for m in errors]
            failed.append(item)
            results.append(item)
        else:
            rendered["StatusAttributeString"] = "OK"
            results.append(rendered)
    if summarize and failed:
        raise XeroError(400, validation_body(failed))
    return {key: results}
