"""The Teams stand-in served on a free port for each test, with helpers to post to it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cynare.sandbox.teams.testing import Served, serve_teams_stand_in


class FixedClock:
    """A clock that moves only when told, so that the rate limit's second is the test's to choose."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def card(**extra: Any) -> dict[str, Any]:
    return {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Hello"}], **extra}


def message(content: Any = None) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card() if content is None else content,
            }
        ],
    }


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def teams(tmp_path, clock) -> Iterator[Served]:
    with serve_teams_stand_in(tmp_path / "out", clock=clock) as served:
        yield served
