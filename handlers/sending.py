"""Flood control for the messages the bot starts (reminders, digests, results).

Telegram allows a bot about 30 messages a second overall and one a second into a chat, and
answers 429 with `retry_after` beyond that. The sweep paces itself with a `SendPacer`, and
nothing else paces: no PTB `AIORateLimiter` is installed. That limiter throttles every call the
bot makes, replies to presses included, keeps no limit for a private chat (only for groups),
and retries a 429 inside the call, out of the sweep's sight. The sweep knows which chat each
message goes to, spreads a round over them, pauses everything on a 429 and counts it, and its
budget is the one to share when several instances send from one database. Replies to a user's
own press are not paced: one or two messages answer one press, well inside the per-chat limit.
"""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning

__all__ = [
    "CHAT_INTERVAL_SECONDS",
    "DEFAULT_SEND_RATE",
    "TELEGRAM_SEND_RATE",
    "SendPacer",
    "never_quiet",
    "retry_after_seconds",
]

# Telegram's Bot FAQ ("My bot is hitting limits, how do I avoid this?"): no more than one
# message a second into a chat, about 30 a second in all.
TELEGRAM_SEND_RATE = 30
CHAT_INTERVAL_SECONDS = 1.0
# Below Telegram's 30, so a round's own timing jitter never crosses the limit.
DEFAULT_SEND_RATE = 25

# Past this many chats remembered, the pacer forgets those whose next turn has come.
_CHATS_REMEMBERED = 10_000


class SendPacer:
    """Hands out turns to send: `rate` a second overall, one a second into any chat.

    Turns are spaced evenly (no bursts), so every one-second window holds at most `rate`
    messages. `pause(seconds)` holds every turn until then, as a 429 demands. One pacer per
    process; the sweep keeps it across runs, so the spacing holds from one run to the next.

    Args:
        rate: messages a second overall.
        chat_interval: seconds between two messages into the same chat.
        clock: monotonic seconds; tests pass a fake one.
        sleep: waits that many seconds; tests pass one that moves the fake clock instead.
    """

    def __init__(
        self,
        rate: float = DEFAULT_SEND_RATE,
        *,
        chat_interval: float = CHAT_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"send rate must be above 0, got {rate!r}")
        self.rate = rate
        self.chat_interval = chat_interval
        self.clock = clock
        self.sleep = sleep
        self._next_turn = float("-inf")
        self._paused_until = float("-inf")
        self._next_in_chat: dict[int, float] = {}

    async def wait_turn(self, chat_id: int) -> None:
        """Waits until a message may go into `chat_id`, and takes that turn."""
        while True:
            now = self.clock()
            ready_at = max(
                self._next_turn,
                self._paused_until,
                self._next_in_chat.get(chat_id, float("-inf")),
            )
            if ready_at <= now:
                break
            # Checked again on waking: a 429 may have paused everything meanwhile.
            await self.sleep(ready_at - now)
        self._next_turn = now + 1 / self.rate
        self._next_in_chat[chat_id] = now + self.chat_interval
        if len(self._next_in_chat) > _CHATS_REMEMBERED:
            self._forget_chats_ready_at(now)

    def pause(self, seconds: float) -> None:
        """Holds every turn for `seconds` from now (a 429's `retry_after`)."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    def _forget_chats_ready_at(self, now: float) -> None:
        self._next_in_chat = {
            chat_id: ready_at for chat_id, ready_at in self._next_in_chat.items() if ready_at > now
        }


def never_quiet(now: datetime) -> bool:
    """The default quiet-hours rule: any instant is fine for sending."""
    return False


def retry_after_seconds(error: RetryAfter) -> float:
    """The seconds a 429 asks to wait, whichever type this PTB version reports it as."""
    # PTB 22 warns that `retry_after` becomes a timedelta; both types are handled here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)
