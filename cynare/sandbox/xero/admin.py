"""The /_sandbox/ admin surface of a served emulator (for the CLI-served emulator and the demo).

Every request must carry the run's admin token in X-Sandbox-Token (printed by `cynare sandbox xero`,
`Emulator.admin_token` in process), besides the Host and Origin checks every route gets (guard.py).
Snapshot names are plain file names inside the emulator's snapshot folder.

GET  /_sandbox/state                      tenants and counts of their books
GET  /_sandbox/calls                      per-tenant counts of calls, 429s and in-flight peaks
POST /_sandbox/reset                      fresh books, tokens, windows, faults and log
POST /_sandbox/snapshot/save   {"name"}   write the books to a file in the snapshot folder
POST /_sandbox/snapshot/load   {"name"}   replace the books from a file in the snapshot folder
POST /_sandbox/faults          {"kind", "count", "entity", "seconds"}
POST /_sandbox/{entity}/day-limit          {"limit"}
POST /_sandbox/{entity}/bank-feed-receipt  {"invoice_id", "amount", "date", "account_code"}
POST /_sandbox/{entity}/batch-payment      {"receipts": [{"invoice_id", "amount"}], "date", "account_code"}
POST /_sandbox/{entity}/allocate           {"credit_id", "invoice_id", "amount", "date"}
POST /_sandbox/{entity}/void-invoice       {"invoice_id"}
POST /_sandbox/{entity}/edit-contact       {"contact_id", "changes": {...}}
POST /_sandbox/{entity}/lock-date          {"period_lock_date", "end_of_year_lock_date"}
POST /_sandbox/{entity}/unsubscribe-currency {"code"}
`entity` is UK, IE, US or a tenant id.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from cynare.sandbox.xero.errors import XeroError, bad_request, not_found
from cynare.sandbox.xero.guard import TOKEN_HEADER, check_token
from cynare.sandbox.xero.jsonio import dumps, loads
from cynare.sandbox.xero.snapshot import SnapshotNameError

if TYPE_CHECKING:
    from cynare.sandbox.xero.emulator import Emulator


def _day(raw: Any) -> date | None:
    return date.fromisoformat(raw) if raw else None


def _ok(body: Any) -> Response:
    return Response(dumps(body), content_type="application/json")


def handle(em: Emulator, request: Request) -> Response:
    # Before anything is read or done: without the token nothing changes and nothing is told.
    check_token(request.headers.get(TOKEN_HEADER), em.admin_token)
    parts = request.path.strip("/").split("/")[1:]
    try:
        body = loads(request.get_data()) if request.get_data() else {}
    except ValueError as exc:
        raise bad_request("The request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object")
    try:
        return _route(em, request.method, parts, body)
    except KeyError as exc:
        raise bad_request(f"missing field {exc}") from exc


def _route(em: Emulator, method: str, parts: list[str], body: dict[str, Any]) -> Response:
    if method == "GET" and parts == ["state"]:
        return _ok(em.state_summary())
    if method == "GET" and parts == ["calls"]:
        return _ok(em.log.summary())
    if method != "POST":
        raise not_found()
    if parts == ["reset"]:
        em.reset()
        return _ok({"reset": True})
    if parts == ["snapshot", "save"]:
        name, path = _snapshot_file(em, body)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            em.save_snapshot(path)
        except OSError as exc:
            raise bad_request(f"snapshot {name!r} could not be written in {em.snapshot_dir}: {exc.strerror}") from exc
        return _ok({"saved": name, "file": str(path)})
    if parts == ["snapshot", "load"]:
        name, path = _snapshot_file(em, body)
        try:
            em.load_snapshot(path)
        except FileNotFoundError as exc:
            raise not_found(f"no snapshot {name!r} in the snapshot folder {em.snapshot_dir}") from exc
        except (OSError, ValueError) as exc:
            raise bad_request(f"snapshot {name!r} could not be loaded: {exc}") from exc
        return _ok({"loaded": name, "file": str(path)})
    if parts == ["faults"]:
        em.inject(body["kind"], int(body.get("count", 1)), body.get("entity"), float(body.get("seconds", 0)))
        return _ok({"queued": body["kind"]})
    if len(parts) == 2:
        return _entity_action(em, parts[0], parts[1], body)
    raise not_found()


def _snapshot_file(em: Emulator, body: dict[str, Any]) -> tuple[str, Path]:
    """The snapshot's name (`name`; `path` as older scripts sent it) and its file in the folder."""
    name = body["name"] if "name" in body else body["path"]
    try:
        path = em.snapshot_file(name)
    except SnapshotNameError as exc:
        raise bad_request(str(exc)) from exc
    return str(name), path


def _entity_action(em: Emulator, entity: str, action: str, body: dict[str, Any]) -> Response:
    try:
        em.tenant(entity)
    except KeyError as exc:
        raise not_found() from exc
    try:
        if action == "day-limit":
            em.set_day_limit(entity, int(body["limit"]))
            return _ok({"day_limit": int(body["limit"])})
        if action == "bank-feed-receipt":
            payment_id = em.receive_from_bank_feed(
                entity,
                body["invoice_id"],
                Decimal(body["amount"]),
                _day(body.get("date")),
                body.get("account_code", "090"),
            )
            return _ok({"PaymentID": payment_id})
        if action == "batch-payment":
            receipts = [(r["invoice_id"], Decimal(r["amount"])) for r in body["receipts"]]
            ids = em.record_batch_payment(entity, receipts, _day(body.get("date")), body.get("account_code", "090"))
            return _ok({"PaymentIDs": ids})
        if action == "allocate":
            allocation_id = em.allocate_credit(
                entity, body["credit_id"], body["invoice_id"], Decimal(body["amount"]), _day(body.get("date"))
            )
            return _ok({"AllocationID": allocation_id})
        if action == "void-invoice":
            em.void_invoice(entity, body["invoice_id"])
            return _ok({"voided": body["invoice_id"]})
        if action == "edit-contact":
            em.edit_contact(entity, body["contact_id"], **body.get("changes", {}))
            return _ok({"edited": body["contact_id"]})
        if action == "lock-date":
            em.set_lock_date(entity, _day(body.get("period_lock_date")), _day(body.get("end_of_year_lock_date")))
            return _ok({"locked": body.get("period_lock_date")})
        if action == "unsubscribe-currency":
            em.unsubscribe_currency(entity, body["code"])
            return _ok({"unsubscribed": body["code"]})
    except KeyError as exc:
        raise bad_request(f"missing field {exc}") from exc
    except XeroError:
        raise
    raise not_found()
