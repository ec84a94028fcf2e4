"""Every accepted post, kept in memory for tests and written to `{out}/teams/{UTC time}-{n}.json`
(pretty JSON, ready to paste into the Adaptive Cards designer) when the stand-in has an `out` folder."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Post:
    n: int  # 1 for the run's first accepted post
    received_at: datetime
    message: dict[str, Any]
    file: Path | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "received_at": self.received_at.isoformat().replace("+00:00", "Z"),
            "file": str(self.file) if self.file else None,
            "message": self.message,
        }


class Capture:
    def __init__(self, out: Path | None = None) -> None:
        self.folder = out / "teams" if out is not None else None
        self._posts: list[Post] = []
        self._count = 0
        self._lock = threading.Lock()

    def keep(self, message: dict[str, Any]) -> Post:
        with self._lock:
            self._count += 1
            received_at = datetime.now(UTC)
            file = self._write(message, received_at, self._count)
            post = Post(self._count, received_at, message, file)
            self._posts.append(post)
            return post

    def posts(self) -> list[Post]:
        with self._lock:
            return list(self._posts)

    def clear(self) -> None:
        """Forgets the posts held in memory; files already written stay."""
        with self._lock:
            self._posts.clear()

    def _write(self, message: dict[str, Any], received_at: datetime, n: int) -> Path | None:
        if self.folder is None:
            return None
        self.folder.mkdir(parents=True, exist_ok=True)
        file = self.folder / f"{received_at:%Y%m%dT%H%M%S}Z-{n:04d}.json"
        file.write_text(json.dumps(message, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return file
