"""Saving and loading the books as JSON: a generic codec for the state dataclasses.

Only the books are saved; tokens, rate-limit windows and idempotency keys start afresh on load.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from cynare.sandbox.xero.state import Tenant

FORMAT = "cynare-xero-snapshot/1"


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value) if f.compare}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, set):
        return sorted(_encode(v) for v in value)
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _decode(kind: Any, value: Any) -> Any:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        inner = [a for a in typing.get_args(kind) if a is not type(None)]
        return _decode(inner[0], value)
    if origin is list:
        return [_decode(typing.get_args(kind)[0], v) for v in value]
    if origin is set:
        return {_decode(typing.get_args(kind)[0], v) for v in value}
    if origin is dict:
        key_kind, value_kind = typing.get_args(kind)
        return {_decode(key_kind, k): _decode(value_kind, v) for k, v in value.items()}
    if kind is Decimal:
        return Decimal(value)
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        names = {f.name for f in dataclasses.fields(kind)}
        return kind(**{k: _decode(hints[k], v) for k, v in value.items() if k in names})
    return value


def save(tenants: dict[str, Tenant], path: str | Path) -> None:
    data = {"format": FORMAT, "tenants": [_encode(t) for t in tenants.values()]}
    Path(path).write_text(json.dumps(data, indent=1), encoding="utf-8")


def load(path: str | Path) -> dict[str, Tenant]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if data.get("format") != FORMAT:
        raise ValueError(f"{path} is not a Xero emulator snapshot")
    tenants = [_decode(Tenant, raw) for raw in data["tenants"]]
    return {t.tenant_id: t for t in tenants}
