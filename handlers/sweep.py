"""The delivery sweep: claim what is due, render it, commit, then send it paced and mark it.

One repeating job (`SWEEP_JOB_NAME`) drives it; the database decides what is owed and what was
sent, so any number of processes may run it. One of them sweeps at a time (a lease on the
database, `storage.leases`): its pacer's rate is then the bot's whole rate, not a share of it
that grows with the instances. A run works in chunks:

    one transaction: stale `sending` rows become `unknown`, due `pending` rows are claimed
    (`sending`), each is rendered by its kind's renderer (or ends `cancelled`, `expired`,
    `failed_permanent`) → commit → send each message when the pacer gives it a turn → mark it
    in its own transaction (`sent`, `unreachable`, back to `pending` for a retry, ...)

A row is marked only after Telegram answered, so a crash between the send and the mark leaves
it `sending`, and a later sweep marks it `unknown`: it is never sent twice (at most once).
A run that stops midway (shutdown, an unexpected error) hands the rows whose send had not begun
back to `pending`; when the process stops gracefully (`BotState.stopping`, SIGTERM) the sends
already begun finish and are marked first. Nothing is claimed while `quiet(now)` holds.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from telegram import InlineKeyboardMarkup
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import JobQueue

from handlers.context import Context, utc_now
from handlers.outbox import OutgoingMessage, Renderer
from handlers.sending import SendPacer, never_quiet, retry_after_seconds
from storage.database import Database
from storage.leases import SWEEP_LEASE, exclusive
from storage.models import Delivery, DeliveryState
from storage.repositories import (
    claim_due_deliveries,
    end_delivery,
    expire_stale_sendings,
    mark_failed,
    mark_sent,
    release_deliveries,
)

__all__ = [
    "FIRST_RETRY_DELAY",
    "MAX_ATTEMPTS",
    "RETRIED",
    "STALE_SENDING",
    "SWEEP_JOB_NAME",
    "MessageSender",
    "Sweep",
    "SweepReport",
    "schedule_sweep",
    "sweep_deliveries",
]

logger = logging.getLogger(__name__)

SWEEP_JOB_NAME = "deliveries-sweep"
# A row still `sending` this long after its claim belongs to a sender that died. Far longer
# than a chunk takes, so a live sender's rows are never taken for dead ones.
STALE_SENDING = timedelta(minutes=10)
# A 400 or a network error is retried, 30 s, 1, 2 and 4 minutes later, up to 5 sends in all.
MAX_ATTEMPTS = 5
FIRST_RETRY_DELAY = timedelta(seconds=30)
# A message answered 429 this many times in one run goes back to the queue for a later run.
_MAX_FLOOD_WAITS = 10
# The outcome of a send that goes back to `pending` with a later `due_at`.
RETRIED = "retried"
# A chunk is about this many seconds of sending at the pacer's rate: short transactions, and
# a crash leaves at most one chunk `unknown`.
_CHUNK_SECONDS = 4


class MessageSender(Protocol):
    """What the sweep needs of a Bot: `send_message`."""

    async def send_message(
        self, chat_id: int, text: str, *, reply_markup: InlineKeyboardMarkup | None = None
    ) -> Any:
        """Sends a text message."""


@dataclass(frozen=True)
class _Ready:
    """A claimed delivery rendered into its message, waiting for its turn."""

    delivery_id: int
    chat_id: int
    attempts: int
    message: OutgoingMessage


@dataclass
class SweepReport:
    """What one run did: deliveries by the state they reached (or `RETRIED`), 429s waited."""

    outcomes: Counter[str] = field(default_factory=Counter)
    flood_waits: int = 0
    quiet: bool = False

    def __str__(self) -> str:
        parts = [f"{state} {count}" for state, count in sorted(self.outcomes.items())]
        if self.flood_waits:
            parts.append(f"429 waits {self.flood_waits}")
        return ", ".join(parts) or "nothing due"


class Sweep:
    """One sender of due deliveries; `run()` sends everything due now, in chunks.

    Args:
        database: where the deliveries are.
        sender: the Bot (or anything with its `send_message`).
        renderers: delivery kind → renderer; a kind without one ends `failed_permanent`.
        pacer: the process's flood control, shared by every run.
        now: the clock for what is due and for the marks (aware UTC).
        quiet: True at the instants nothing may be sent (quiet hours).
        stopping: once set, no further send starts; those begun finish and are marked, and
            the claimed rest goes back to `pending` (a graceful stop, SIGTERM).
    """

    def __init__(
        self,
        database: Database,
        sender: MessageSender,
        renderers: Mapping[str, Renderer],
        pacer: SendPacer,
        *,
        now: Callable[[], datetime] = utc_now,
        quiet: Callable[[datetime], bool] = never_quiet,
        stopping: asyncio.Event | None = None,
    ) -> None:
        self.database = database
        self.stopping = stopping if stopping is not None else asyncio.Event()
        self.sender = sender
        self.renderers = renderers
        self.pacer = pacer
        self.now = now
        self.quiet = quiet
        self.chunk_size = max(1, round(pacer.rate * _CHUNK_SECONDS))
        # Enough sends in flight to keep the rate up over a slow round trip to Telegram.
        self.in_flight = asyncio.Semaphore(max(1, round(pacer.rate)))
        # Deliveries whose send has begun: from then on a stop leaves them `sending`.
        self._begun: set[int] = set()

    async def run(self) -> SweepReport:
        """Claims, renders and sends chunk after chunk until nothing is due (or quiet begins)."""
        report = SweepReport()
        sends: dict[asyncio.Task[None], int] = {}
        try:
            first = True
            while True:
                now = self.now()
                if self.stopping.is_set():
                    break
                if self.quiet(now):
                    report.quiet = True
                    break
                claim = partial(self._claim, now=now, expire_stale=first)
                claimed, ready, ended = await self.database.run(claim)
                report.outcomes.update(ended)
                first = False
                await self._dispatch(ready, sends, report)
                if claimed < self.chunk_size:
                    break
            await _wait_all(sends)
        finally:
            await self._stop_sends(sends)
        return report

    async def _stop_sends(self, sends: dict[asyncio.Task[None], int]) -> None:
        """Cancels the sends still under way (the run failed or was stopped).

        A send already begun may have reached Telegram: it stays `sending`, later `unknown`.
        One that had not begun is handed back to `pending`.
        """
        for send in sends:
            send.cancel()
        # Wait until every cancelled send has stopped, so no mark lands after the run ended.
        await asyncio.gather(*sends, return_exceptions=True)
        unbegun = [delivery_id for delivery_id in sends.values() if delivery_id not in self._begun]
        if unbegun:
            await self.database.run(lambda session: release_deliveries(session, unbegun))

    # -- the claiming transaction ----------------------------------------------------------

    def _claim(
        self, session: Session, now: datetime, *, expire_stale: bool
    ) -> tuple[int, list[_Ready], Counter[str]]:
        """Claims one chunk and renders it.

        Returns:
            How many were claimed, the messages to send, and the deliveries that ended here
            instead (stale ones included) by state.
        """
        ended: Counter[str] = Counter()
        stale = expire_stale_sendings(session, now - STALE_SENDING) if expire_stale else 0
        if stale:
            ended[DeliveryState.UNKNOWN] = stale
        claimed = claim_due_deliveries(session, now, self.chunk_size)
        ready = []
        for delivery in claimed:
            message, end, error = self._render(session, delivery, now)
            if message is not None:
                ready.append(
                    _Ready(delivery.id, delivery.recipient_telegram_id, delivery.attempts, message)
                )
            else:
                end_delivery(session, delivery.id, end, error)
                ended[end] += 1
        return len(claimed), _spread_over_chats(ready), ended

    def _render(
        self, session: Session, delivery: Delivery, now: datetime
    ) -> tuple[OutgoingMessage | None, DeliveryState, str | None]:
        """The message to send, or the end state (and error) the delivery reaches instead."""
        try:
            expires_at = _expires_at(delivery.payload)
        except ValueError as error:
            return None, DeliveryState.FAILED_PERMANENT, str(error)
        if expires_at is not None and expires_at <= now:
            return None, DeliveryState.EXPIRED, None
        renderer = self.renderers.get(delivery.kind)
        if renderer is None:
            missing = f"no renderer for delivery kind {delivery.kind!r}"
            return None, DeliveryState.FAILED_PERMANENT, missing
        try:
            message = renderer(session, delivery, now)
        except SQLAlchemyError:
            raise
        except Exception as error:
            logger.exception("rendering delivery %s failed", delivery.id)
            return None, DeliveryState.FAILED_PERMANENT, f"rendering failed: {error!r}"
        if message is None:
            return None, DeliveryState.CANCELLED, None
        return message, DeliveryState.SENDING, None

    # -- sending ---------------------------------------------------------------------------

    async def _dispatch(
        self, ready: list[_Ready], sends: dict[asyncio.Task[None], int], report: SweepReport
    ) -> None:
        """Starts each send at its turn; rows not started when this stops are handed back."""
        started = 0
        try:
            for item in ready:
                _raise_failures(sends)
                await self.in_flight.acquire()
                try:
                    await self.pacer.wait_turn(item.chat_id)
                except BaseException:
                    self.in_flight.release()
                    raise
                if self.stopping.is_set():
                    self.in_flight.release()
                    break
                send = asyncio.create_task(self._deliver(item, report))
                sends[send] = item.delivery_id
                send.add_done_callback(lambda _: self.in_flight.release())
                started += 1
        finally:
            unsent = [item.delivery_id for item in ready[started:]]
            if unsent:
                # Also on cancellation (shutdown): the await finishes unless cancelled again.
                await self.database.run(lambda session: release_deliveries(session, unsent))

    async def _deliver(self, item: _Ready, report: SweepReport) -> None:
        """Sends one message (waiting out 429s) and marks the delivery with the outcome."""
        self._begun.add(item.delivery_id)
        for _ in range(_MAX_FLOOD_WAITS):
            try:
                await self.sender.send_message(
                    item.chat_id, item.message.text, reply_markup=item.message.keyboard
                )
            except RetryAfter as error:
                report.flood_waits += 1
                self.pacer.pause(retry_after_seconds(error))
                await self.pacer.wait_turn(item.chat_id)
                continue
            except TelegramError as error:
                await self._mark_failure(item, error, report)
                return
            await self._mark(item, report, DeliveryState.SENT)
            return
        await self._mark(item, report, RETRIED, "still flooded (429) after 10 waits")

    async def _mark_failure(self, item: _Ready, error: TelegramError, report: SweepReport) -> None:
        """Marks a send Telegram refused: unreachable, unknown, retried or given up."""
        description = _describe(error)
        if isinstance(error, Forbidden):
            # Blocked or deactivated: retrying cannot help, and the digest names them.
            await self._mark(item, report, DeliveryState.UNREACHABLE, description)
        elif isinstance(error, TimedOut):
            # The request may have reached Telegram and been shown: never risk it twice.
            await self._mark(item, report, DeliveryState.UNKNOWN, description)
        elif isinstance(error, NetworkError) and item.attempts < MAX_ATTEMPTS:
            # 400 (BadRequest is a NetworkError in PTB) or the connection failed: try later.
            await self._mark(item, report, RETRIED, description)
        else:
            await self._mark(item, report, DeliveryState.FAILED_PERMANENT, description)

    async def _mark(
        self, item: _Ready, report: SweepReport, outcome: str, error: str | None = None
    ) -> None:
        now = self.now()

        def write(session: Session) -> None:
            if outcome == DeliveryState.SENT:
                mark_sent(session, item.delivery_id, now)
            elif outcome == RETRIED:
                delay = FIRST_RETRY_DELAY * 2 ** (item.attempts - 1)
                mark_failed(session, item.delivery_id, error or "", now + delay)
            else:
                end_delivery(session, item.delivery_id, DeliveryState(outcome), error)

        await self.database.run(write)
        report.outcomes[outcome] += 1


def schedule_sweep(job_queue: JobQueue[Any], interval_seconds: float) -> None:
    """Registers the repeating sweep (`SWEEP_JOB_NAME`), every `interval_seconds`."""
    # A second instance lets a trigger that finds a long round still sending return at once
    # (`sweep_deliveries` checks its lock) instead of APScheduler logging a skipped run.
    job_queue.run_repeating(
        sweep_deliveries,
        interval=interval_seconds,
        name=SWEEP_JOB_NAME,
        job_kwargs={"max_instances": 2},
    )


async def sweep_deliveries(context: Context) -> None:
    """Sends the deliveries that are due (the repeating job); skips while a run is going."""
    state = context.bot_data
    if state.sweep_lock.locked():
        # A big round outlasts the interval; the running sweep will take what became due.
        return
    database = state.require_database()
    # One sweeping process at a time over the whole database: its pacer's rate is then the
    # bot's rate, however many instances run. The others find the lease taken and return.
    async with state.sweep_lock, exclusive(database, SWEEP_LEASE) as alone:
        if not alone:
            return
        sweep = Sweep(
            database,
            context.bot,
            state.delivery_renderers,
            state.send_pacer,
            now=state.now,
            quiet=state.quiet,
            stopping=state.stopping,
        )
        report = await sweep.run()
    if report.outcomes:
        logger.info("delivery sweep: %s", report)


def _spread_over_chats(ready: list[_Ready]) -> list[_Ready]:
    """Orders a chunk so messages into the same chat are apart: each chat's first ones first.

    One message a second into a chat means two in a row would hold up every chat behind them.
    """
    seen: Counter[int] = Counter()
    ranked = []
    for position, item in enumerate(ready):
        ranked.append((seen[item.chat_id], position, item))
        seen[item.chat_id] += 1
    return [item for _, _, item in sorted(ranked, key=lambda entry: entry[:2])]


def _expires_at(payload: Mapping[str, Any]) -> datetime | None:
    """The payload's optional `expires_at` (ISO, UTC when it names no offset).

    Raises:
        ValueError: it is there but not an ISO time.
    """
    value = payload.get("expires_at")
    if value is None:
        return None
    try:
        instant = datetime.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"payload expires_at is not an ISO time: {value!r}") from None
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def _describe(error: TelegramError) -> str:
    """The error as kept in `last_error`: its kind and Telegram's words."""
    kind = type(error).__name__
    return error.message if error.message.startswith(kind) else f"{kind}: {error.message}"


def _raise_failures(sends: dict[asyncio.Task[None], int]) -> None:
    """Re-raises the error of a send that failed unexpectedly, and forgets finished sends."""
    for send in [send for send in sends if send.done()]:
        del sends[send]
        send.result()


async def _wait_all(sends: dict[asyncio.Task[None], int]) -> None:
    """Waits for every send still in flight; the first unexpected error stops the run."""
    while sends:
        await asyncio.wait(sends, return_when=asyncio.FIRST_EXCEPTION)
        _raise_failures(sends)
