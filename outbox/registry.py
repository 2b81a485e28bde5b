"""Which handler delivers which kind of message. Handlers live in the app that owns the
effect and register themselves in its AppConfig.ready, so outbox imports no other app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[[dict[str, Any]], None]

_HANDLERS: dict[str, Handler] = {}


def outbox_handler_register(kind: str, handler: Handler) -> None:
    """Deliver messages of `kind` with `handler(payload)`. A handler must be idempotent
    (delivery is at least once) and raise to ask for a retry."""
    registered = _HANDLERS.get(kind)
    if registered is not None and registered is not handler:
        raise ValueError(f"outbox kind {kind!r} already has a handler")
    _HANDLERS[kind] = handler


def outbox_handler_for(kind: str) -> Handler | None:
    return _HANDLERS.get(kind)
