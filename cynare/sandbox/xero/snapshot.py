"""Saving and loading the books as JSON: a generic codec for the state dataclasses.

Only the books are saved; tokens, rate-limit windows and idempotency keys start afresh on load.
Over HTTP (/_sandbox/snapshot/...) a snapshot is a plain file name inside the emulator's snapshot
folder (`confine`); the Python API and the CLI's `--snapshot` take any path the developer names.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path, PureWindowsPath
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


class SnapshotNameError(ValueError):
    """A snapshot name from a web request that is not a plain file name inside the snapshot folder."""


def confine(folder: Path, name: object) -> Path:
    """The file `name` inside `folder` (resolved), or SnapshotNameError.

    `name` must be a plain file name: no directory part (either slash), not `.` or `..`, no drive, no
    NUL; and if it is a symbolic link it must stay inside the folder.
    """
    if not isinstance(name, str) or not name:
        raise SnapshotNameError(f'a snapshot is named by a plain file name such as "books.json" in {folder}')
    plain = (
        name not in (".", "..")
        and "\x00" not in name
        and "/" not in name
        and "\\" not in name
        and Path(name).name == name
        and PureWindowsPath(name).name == name
    )
    if not plain:
        raise SnapshotNameError(
            f"snapshot name {name!r} refused: only a plain file name inside the snapshot folder {folder}"
        )
    root = folder.resolve()
    target = (root / name).resolve()
    if target.parent != root:
        raise SnapshotNameError(f"snapshot name {name!r} refused: it is a link out of the snapshot folder {root}")
    return target


def save(tenants: dict[str, Tenant], path: str | Path) -> None:
    """Write the books to `path` whole: a temporary file beside it, then renamed over it.

    The rename replaces whatever `path` is (a link included) rather than writing through it, and a
    reader never sees half a snapshot.
    """
    data = {"format": FORMAT, "tenants": [_encode(t) for t in tenants.values()]}
    target = Path(path)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(json.dumps(data, indent=1))
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load(path: str | Path) -> dict[str, Tenant]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if data.get("format") != FORMAT:
        raise ValueError(f"{path} is not a Xero emulator snapshot")
    tenants = [_decode(Tenant, raw) for raw in data["tenants"]]
    return {t.tenant_id: t for t in tenants}
