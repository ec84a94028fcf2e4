"""A cancellation from the PMS meets the document it cancels (pure decisions, no I/O).

- The target never reached Xero: it is withdrawn (cancelled), and so is the cancellation: nothing to void.
- The target is in Xero: the cancellation is ready, to void it there.
- The target is being posted: the cancellation waits until the attempt ends.
- The target has not arrived: the cancellation waits on it (a dependency hold, decided elsewhere).
"""

from __future__ import annotations

from datetime import datetime

from cynare.domain.documents import Cancellation
from cynare.domain.holds import Hold, HoldKind
from cynare.domain.lifecycle import State, StoredDocument, cancelled, reassess

Settled = tuple[StoredDocument | None, StoredDocument | None]  # (cancellation, target): None = no change


def settle(cancellation: StoredDocument, target: StoredDocument | None, at: datetime) -> Settled:
    body = cancellation.document.body
    assert isinstance(body, Cancellation)
    if target is None or cancellation.state not in {State.READY, State.WAITING}:
        return None, None
    said = f"cancelled in the PMS on {body.date}: {body.reason}"
    if target.state is State.CANCELLED:
        return cancelled(cancellation, f"{target.document.key} was already cancelled", at), None
    if target.state is State.POSTING:
        hold = Hold(HoldKind.IN_FLIGHT, str(target.document.key), "an attempt to post it has not ended")
        return reassess(cancellation, (hold,), at), None
    if target.xero_id:
        return reassess(cancellation, (), at), None  # ready: void it in Xero
    withdrawn = cancelled(target, f"{said}; it never reached Xero", at)
    return cancelled(cancellation, "applied before posting: nothing to void in Xero", at), withdrawn
