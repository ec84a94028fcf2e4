"""Every run writes a log file in the work folder; nothing in it may be a secret."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from cynare.agent.redact import RedactingFilter

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def start_log(folder: Path, command: str) -> Path:
    """Send the agent's log records to `folder/cynare-agent-YYYYMMDD.log` (appending) and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"cynare-agent-{datetime.now(UTC):%Y%m%d}.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_cynare_agent", False)]:
        root.removeHandler(old)
        old.close()
    handler._cynare_agent = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # The SDKs log request details at INFO; their warnings are enough, and keep URLs out of the file.
    for noisy in ("azure", "urllib3", "sqlalchemy"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("cynare.agent").info("%s started", command)
    return path
