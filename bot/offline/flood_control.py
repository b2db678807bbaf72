"""Telegram's flood control, for the fake Bot API's limit-enforcing mode.

Telegram lets a bot send about 30 messages a second in all and one a second into a chat
(Bot FAQ, "My bot is hitting limits, how do I avoid this?"). Beyond that it answers 429 with
`parameters.retry_after`, and keeps answering 429 until that time has passed. This models both
rules strictly, so a sender that keeps under them never sees a 429 and one that ignores a
`retry_after` keeps getting them.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any

from bot.offline.chat_state import ApiError

__all__ = [
    "TELEGRAM_CHAT_INTERVAL",
    "TELEGRAM_MESSAGES_PER_SECOND",
    "FloodControl",
    "chat_of",
    "counts_as_message",
]

TELEGRAM_MESSAGES_PER_SECOND = 30
TELEGRAM_CHAT_INTERVAL = 1.0


def chat_of(params: dict[str, Any]) -> int:
    """The chat a send goes to (an id Telegram would refuse counts as chat 0)."""
    try:
        return int(params.get("chat_id", 0))
    except (TypeError, ValueError):
        return 0


def counts_as_message(method: str) -> bool:
    """Whether a call sends a message (what the limits count); a typing indicator does not."""
    return method.startswith(("send", "copyMessage", "forwardMessage")) and (
        method != "sendChatAction"
    )


class FloodControl:
    """Admits message sends within Telegram's limits, answering 429 beyond them.

    Args:
        clock: seconds (any origin, fractions kept), the fake server's clock.
        per_second: messages admitted in any one-second window, over all chats.
        chat_interval: seconds between two messages into one chat.
    """

    def __init__(
        self,
        clock: Callable[[], float],
        per_second: int = TELEGRAM_MESSAGES_PER_SECOND,
        chat_interval: float = TELEGRAM_CHAT_INTERVAL,
    ) -> None:
        self.clock = clock
        self.per_second = per_second
        self.chat_interval = chat_interval
        self._recent: deque[float] = deque()
        self._last_in_chat: dict[int, float] = {}
        self._banned_until = float("-inf")
        self._chat_banned_until: dict[int, float] = {}

    def admit(self, chat_id: int) -> ApiError | None:
        """Records a message into `chat_id`, or returns the 429 Telegram answers instead."""
        now = self.clock()
        while self._recent and self._recent[0] <= now - 1:
            self._recent.popleft()
        if now < self._banned_until:
            return _too_many(self._banned_until - now)
        if now < self._chat_banned_until.get(chat_id, float("-inf")):
            return _too_many(self._chat_banned_until[chat_id] - now)
        if len(self._recent) >= self.per_second:
            self._banned_until = now + _whole_seconds(self._recent[0] + 1 - now)
            return _too_many(self._banned_until - now)
        last = self._last_in_chat.get(chat_id)
        if last is not None and now - last < self.chat_interval:
            self._chat_banned_until[chat_id] = now + _whole_seconds(last + 1 - now)
            return _too_many(self._chat_banned_until[chat_id] - now)
        self._recent.append(now)
        self._last_in_chat[chat_id] = now
        return None


def _whole_seconds(seconds: float) -> int:
    """Telegram's `retry_after` is a whole number of seconds, at least 1."""
    return max(1, math.ceil(seconds))


def _too_many(seconds: float) -> ApiError:
    retry_after = _whole_seconds(seconds)
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
