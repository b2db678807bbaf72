"""What the sweep sends: a delivery rendered into a message, by one renderer per kind.

A renderer runs inside the transaction that claims the delivery, so it may read the database
to decide what the message says now (the days left, the progress) and whether it is still owed:
it returns None when it is not (the secretary has submitted since the reminder was planned),
and the sweep then marks the delivery `cancelled` instead of sending it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

from sqlalchemy.orm import Session
from telegram import InlineKeyboardMarkup

from storage.models import Delivery

__all__ = ["OutgoingMessage", "Renderer"]


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to send: plain text (no parse_mode) and an optional inline keyboard."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None


Renderer: TypeAlias = Callable[[Session, Delivery, datetime], OutgoingMessage | None]
"""Renders a claimed delivery at `now` (aware UTC); None when it is no longer owed."""
