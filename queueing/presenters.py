"""How a QueueState is written out: the one function both the API and the fast path use."""

from __future__ import annotations

from dataclasses import fields

from queueing.state import QueueState


def queue_state_json(state: QueueState) -> dict:
    """The contract's queue_state: every field of QueueState, by name (a field added there
    appears here). Datetimes stay datetimes: the JSON encoders write them as ISO 8601."""
    return {field.name: getattr(state, field.name) for field in fields(state)}
