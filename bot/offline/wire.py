"""What passes over the wire between PTB and the fake: request data in, Telegram's bodies out.

Decoding PTB's ``RequestData`` into the parameters and uploads Telegram would receive, Telegram's
JSON error bodies and wording, and the queue behind getUpdates' long polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from telegram.request import RequestData

from bot.offline.chat_state import ApiError, UploadedFile

__all__ = ["PendingUpdates", "decode_request", "error_response", "telegram_description"]

# Violation wording -> the description Telegram answers for it (seen from the real server).
_TELEGRAM_WORDING = (
    ("bytes in UTF-8, allowed 1-64", "Bad Request: BUTTON_DATA_INVALID"),
    ("characters after entity parsing, allowed 1-4096", "Bad Request: message is too long"),
    (
        "characters after entity parsing, allowed 0-1024",
        "Bad Request: message caption is too long",
    ),
    ("empty after entity parsing", "Bad Request: message text is empty"),
)


def telegram_description(problem: str) -> str:
    """What Telegram would answer for a violation, for the lenient (non-strict) mode."""
    for marker, description in _TELEGRAM_WORDING:
        if marker in problem:
            return description
    return f"Bad Request: {problem}"


def error_response(error: ApiError) -> tuple[int, bytes]:
    """The HTTP status and JSON body of an error answer."""
    return error.status, json.dumps(error.to_body()).encode("utf-8")


def decode_request(
    request_data: RequestData | None,
) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """The parameters as Telegram receives them, and the uploaded parts."""
    if request_data is None:
        return {}, {}
    # A JSON round trip turns tuples into lists and leaves exactly what goes over the wire.
    params: dict[str, Any] = json.loads(json.dumps(request_data.parameters))
    files: dict[str, UploadedFile] = {}
    if request_data.contains_files:
        for part, (filename, content, mimetype) in request_data.multipart_data.items():
            data = content if isinstance(content, bytes) else content.read()
            files[part] = UploadedFile(part, filename or part, data, mimetype)
    return params, files


class PendingUpdates:
    """Updates waiting for getUpdates, in update id order, with long-poll waiting."""

    def __init__(self) -> None:
        self._updates: list[dict[str, Any]] = []
        self._arrived: asyncio.Event | None = None

    def put(self, update: dict[str, Any]) -> None:
        """Queues one update's JSON object and wakes a waiting long poll."""
        self._updates.append(update)
        if self._arrived is not None:
            self._arrived.set()

    def take(self, offset: int | None, limit: int) -> list[dict[str, Any]]:
        """Drops the updates below ``offset`` (confirmed) and returns up to ``limit`` others."""
        if offset is not None:
            self._updates = [update for update in self._updates if update["update_id"] >= offset]
        return self._updates[:limit]

    async def wait(self, offset: int | None, timeout: float) -> None:
        """Holds a getUpdates call up to ``timeout`` seconds until an update is waiting."""
        if any(offset is None or item["update_id"] >= offset for item in self._updates):
            return
        if not timeout:
            return
        # The event is made lazily: it must belong to the loop that runs the application.
        self._arrived = self._arrived or asyncio.Event()
        self._arrived.clear()
        # A timeout is the normal end of a long poll with nothing to deliver.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._arrived.wait(), timeout)
