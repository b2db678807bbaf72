"""`pingxing demo`: the real bot, offline, in a terminal.

The demo runs the same `Application` that `pingxing run` runs, on `FakeBotApi` instead of Telegram
and on its own SQLite file. It seeds a sample county, town and branches with an open cycle on the
default rubric, creates an invite and sends `/start <code>` as you, so the real binding flow runs.
Then every bot message is printed with its inline buttons numbered: a number presses a button, any
other line is sent as a message (`/assess` is a command), `:photo` and `:doc` send a sample file as
evidence, and `:tomorrow` moves the demo's clock to the next morning's reminder time, plans and
sends what has fallen due, so a deadline reminder arrives in the terminal. End of input (Ctrl-D,
or no input at all as in `make run < /dev/null`) ends it with exit status 0.

The database is resumable: a second run on the same file skips the seeding and the invite and
opens your assessment where you left it, as a secretary coming back days later would find it.
Delete the file to start afresh.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, TextIO
from zoneinfo import ZoneInfo

if sys.platform != "win32":
    import fcntl

from sqlalchemy.orm import Session
from telegram import Update

from bot.app import build_application, prepare_application
from bot.logs import configure_logging
from bot.offline.chat_state import ApiCall, Button, ChatMessage
from bot.offline.demo_town import DEMO_REVIEWER_ID
from bot.offline.transport import FakeBotApi
from bot.offline.updates import FakeUser, UpdateFactory
from bot.settings import Settings
from handlers.catalogue import text
from handlers.reminders import deadline_text
from handlers.sweep import Sweep
from scoring import default_rubric_text
from storage.database import Database, open_database
from storage.repositories import (
    create_invite,
    current_cycle,
    get_or_create_county,
    get_or_create_town,
    last_processed_update_id,
    open_cycle,
    secretary_branch,
    upsert_branch,
)
from storage.repositories.reminders import plan_deliveries
from storage.schedule import end_of_day

__all__ = ["DEFAULT_DATABASE_PATH", "DEMO_USER_ID", "EXIT_IN_USE", "run_demo"]

DEFAULT_DATABASE_PATH = "./pingxing-demo.sqlite3"
# Another demo holds the file: the process cannot work.
EXIT_IN_USE = 1

# A fixed id, so a second run finds the same person bound to the same branch.
DEMO_USER_ID = 900_001

# The branch you are invited to, and the sample branches beside it (one per category).
_DEMO_CATEGORY = "rural"
_CATEGORIES = ("rural", "institution", "non_public", "retired")

# Sample evidence: sizes well under Telegram's 20 MB download limit.
_PHOTO_SIZE = 180_000
_DOCUMENT_SIZE = 95_000

_SHOWN_METHODS = frozenset(
    {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendPhoto", "sendDocument"}
)


@dataclass
class _Screen:
    """What the terminal shows and which number presses which button."""

    output: TextIO
    photo_folder: Path
    buttons: dict[int, tuple[ChatMessage, Button]] = field(default_factory=dict)
    photos_saved: int = 0

    def say(self, line: str = "") -> None:
        self.output.write(line + "\n")
        self.output.flush()

    def show_calls(self, api: FakeBotApi, calls: list[ApiCall]) -> None:
        """Prints what the bot did in these calls; numbers the buttons it showed."""
        shown: list[ChatMessage] = []
        for call in calls:
            if not call.ok:
                continue  # "message is not modified" and the like: nothing changed on screen
            if call.method == "answerCallbackQuery" and call.params.get("text"):
                self.say(text("demo.bot_toast", text=call.params["text"]))
            elif call.method in _SHOWN_METHODS and isinstance(call.result_or_error, dict):
                message = api.message(int(call.params["chat_id"]), _message_id(call))
                self._show_message(call, message)
                if message.buttons:
                    shown = [m for m in shown if m.message_id != message.message_id]
                    shown.append(message)
        if shown:
            self._number_buttons(shown)

    def _show_message(self, call: ApiCall, message: ChatMessage) -> None:
        edited = call.method.startswith("edit")
        self.say()
        self.say(text("demo.bot_edited" if edited else "demo.bot_message"))
        if call.method == "sendPhoto":
            if message.caption:
                self.say(text("demo.photo", caption=message.caption, path=self._save(call)))
            else:
                self.say(text("demo.photo_uncaptioned", path=self._save(call)))
        elif call.method == "sendDocument":
            name = (message.document or {}).get("file_name", "")
            self.say(text("demo.document", name=name))
            if message.caption:
                self.say(message.caption)
        elif message.text is not None:
            self.say(message.text)

    def _save(self, call: ApiCall) -> str:
        """Writes an uploaded photo next to the database, so the chart can be looked at."""
        upload = call.files.get("photo")
        if upload is None:
            return "-"
        self.photos_saved += 1
        self.photo_folder.mkdir(parents=True, exist_ok=True)
        path = self.photo_folder / f"{self.photos_saved:03d}.png"
        path.write_bytes(upload.content)
        return str(path)

    def _number_buttons(self, messages: list[ChatMessage]) -> None:
        """Numbers every button, printing one keyboard row per line as a phone lays it out."""
        self.buttons = {}
        for message in messages:
            for row in message.keyboard:
                labels = []
                for button in row:
                    number = len(self.buttons) + 1
                    self.buttons[number] = (message, button)
                    key = "demo.url_button" if button.url else "demo.button"
                    labels.append(text(key, number=number, label=button.text, url=button.url))
                self.say("  " + "  ".join(labels))


def _message_id(call: ApiCall) -> int:
    """The id of the message a call sent or edited."""
    result = call.result_or_error
    if isinstance(result, dict) and "message_id" in result:
        return int(result["message_id"])
    return int(call.params["message_id"])


@dataclass
class _Session:
    """One run of the demo: the bot, the fake Telegram, the user and the screen."""

    application: Any
    api: FakeBotApi
    updates: UpdateFactory
    user: FakeUser
    screen: _Screen

    async def deliver(self, update: Update) -> None:
        """Hands one update to the bot and shows what it did."""
        before = len(self.api.calls)
        await self.application.process_update(update)
        self.screen.show_calls(self.api, self.api.calls[before:])

    async def handle(self, line: str, echo: bool) -> None:
        """Acts on one line of input: a button number, a sample file, or a message."""
        stripped = line.strip()
        if not stripped:
            return
        if stripped.isdigit():
            await self._press(int(stripped))
            return
        if stripped == ":tomorrow":
            await self._tomorrow()
            return
        attachments: dict[str, Callable[[], Update]] = {
            ":photo": lambda: self.updates.photo(self.user, file_size=_PHOTO_SIZE),
            ":doc": lambda: self.updates.document(
                self.user, file_name="demo.pdf", file_size=_DOCUMENT_SIZE
            ),
        }
        if stripped in attachments:
            what = "demo.attach_photo" if stripped == ":photo" else "demo.attach_document"
            self.screen.say(text("demo.you_attach", what=text(what)))
            await self.deliver(attachments[stripped]())
            return
        if echo:
            self.screen.say(text("demo.you", text=stripped))
        await self.deliver(self.updates.message(self.user, stripped))

    async def _tomorrow(self) -> None:
        """Moves the clock to the next local day's reminder time; plans and sends what is due."""
        state = self.application.bot_data
        schedule = state.reminder_schedule
        if schedule is None:
            raise RuntimeError("no reminder schedule: build_application sets one")
        today = state.now().astimezone(schedule.zone).date()
        moment = schedule.send_time(today + timedelta(days=1))
        state.now = lambda: moment
        self.screen.say(text("demo.tomorrow", time=deadline_text(moment, schedule.zone)))
        database = state.require_database()
        await database.run(lambda session: plan_deliveries(session, schedule, moment))
        before = len(self.api.calls)
        sweep = Sweep(
            database,
            self.application.bot,
            state.delivery_renderers,
            state.send_pacer,
            now=state.now,
            quiet=state.quiet,
        )
        await sweep.run()
        sent = self.api.calls[before:]
        if not sent:
            self.screen.say(text("demo.nothing_due"))
        self.screen.show_calls(self.api, sent)

    async def _press(self, number: int) -> None:
        buttons = self.screen.buttons
        if not buttons:
            self.screen.say(text("demo.no_buttons"))
            return
        if number not in buttons:
            self.screen.say(text("demo.no_such_button", number=number, count=len(buttons)))
            return
        message, button = buttons[number]
        self.screen.say(text("demo.you_press", number=number, label=button.text))
        if button.callback_data is None:
            return  # a link button: Telegram would open the link, the bot sees nothing
        # The press carries the message as the user's phone shows it: an old keyboard stays
        # pressable, and the bot must notice it is stale.
        await self.deliver(self.updates.press(self.user, message, button.callback_data))


def _seed(session: Session, now: datetime, zone: ZoneInfo) -> str:
    """Creates the sample county, town, branches and cycle; returns a fresh invite code."""
    county = get_or_create_county(session, text("demo.county"))
    town = get_or_create_town(session, county, text("demo.town"))
    if current_cycle(session, town.id) is None:
        today = now.astimezone(zone).date()
        # The deadline is the end of the day after tomorrow, so the first `:tomorrow` brings
        # the reminder one day before it, the next the last day's, the third the overdue notice.
        deadline = end_of_day(today + timedelta(days=2), zone)
        open_cycle(session, town, today.year, deadline, default_rubric_text(), now=now)
    branch_ids = {}
    for category in _CATEGORIES:
        branch, _ = upsert_branch(session, town, text(f"demo.branches.{category}"), category)
        branch_ids[category] = branch.id
    return create_invite(session, branch_ids[_DEMO_CATEGORY], now + timedelta(days=7), now)


def _next_update_id(session: Session) -> int:
    """The first update id after those a previous run handled (the bot ignores a repeated id)."""
    return (last_processed_update_id(session) or 0) + 1


async def _introduce(database: Database, demo: _Session, now: datetime, zone: ZoneInfo) -> None:
    """Binds you through an invite on the first run; reopens your assessment on later runs."""
    bound = await database.run(lambda session: secretary_branch(session, demo.user.id))
    if bound is not None:
        demo.screen.say(text("demo.resumed", name=demo.user.first_name, branch=bound.name))
        await demo.handle("/assess", echo=True)
        return
    code = await database.run(lambda session: _seed(session, now, zone))
    demo.screen.say(
        text(
            "demo.seeded",
            county=text("demo.county"),
            town=text("demo.town"),
            branches=len(_CATEGORIES),
            name=demo.user.first_name,
            branch=text(f"demo.branches.{_DEMO_CATEGORY}"),
        )
    )
    await demo.handle(f"/start {code}", echo=True)
    # Straight on to the first item card, so even a run without input shows the real screen.
    await demo.handle("/assess", echo=True)


def _lock_database(path: Path) -> BinaryIO | None:
    """Takes the demo's exclusive lock on `path`, held while the returned file stays open.

    Two demos on one file would number their updates alike, and the bot skips an update id it
    has already handled, so the second one's input would be dropped without a word. The lock is
    an `flock` on a `.lock` file beside the database (not the database itself: closing any
    descriptor of a SQLite file drops SQLite's own locks); the system releases it when the
    process ends, however it ends. Windows has no `flock`: no lock there.

    Returns:
        The open lock file (close it to release), or None when another process holds the lock.
    """
    lock = path.with_name(f"{path.name}.lock").open("ab")
    if sys.platform == "win32":
        return lock
    try:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        return None
    return lock


async def _introduce_reviewer(
    database: Database, demo: _Session, now: datetime, zone: ZoneInfo
) -> None:
    """Seeds the sample town with submitted branches on the first run, then opens /review."""
    from bot.offline.demo_town import is_seeded, seed_review

    def seed(session: Session) -> bool:
        _seed(session, now, zone)
        county = get_or_create_county(session, text("demo.county"))
        town = get_or_create_town(session, county, text("demo.town"))
        if is_seeded(session, town):
            return False
        seed_review(session, town, now)
        return True

    if await database.run(seed):
        demo.screen.say(
            text("demo.seeded_review", town=text("demo.town"), name=demo.user.first_name)
        )
    await demo.handle("/review", echo=True)


async def _run(
    database_path: str, input_stream: TextIO | None, output: TextIO, role: str = "secretary"
) -> int:
    path = Path(database_path).resolve()
    lock = _lock_database(path)
    if lock is None:
        print(text("demo.in_use", database=path), file=sys.stderr)
        return EXIT_IN_USE
    with lock:
        return await _run_locked(path, input_stream, output, role)


async def _run_locked(path: Path, input_stream: TextIO | None, output: TextIO, role: str) -> int:
    screen = _Screen(output, path.with_name(f"{path.stem}-photos"))
    screen.say(text("demo.banner", database=path))
    url = f"sqlite:///{path}"
    database = await open_database(url)
    api = FakeBotApi()
    settings = Settings(_env_file=None, database_url=url, bot_token=None)  # type: ignore[call-arg]
    application = build_application(settings, request=api, database=database)
    try:
        await application.initialize()
        await prepare_application(application)
        state = application.bot_data
        as_town = role == "town"
        user = (
            FakeUser(DEMO_REVIEWER_ID, text("demo.reviewer"))
            if as_town
            else FakeUser(DEMO_USER_ID, text("demo.secretary"))
        )
        first_update_id = await database.run(_next_update_id)
        updates = UpdateFactory(api, application.bot, first_update_id)
        demo = _Session(application, api, updates, user, screen)
        introduce = _introduce_reviewer if as_town else _introduce
        await introduce(database, demo, state.now(), state.timezone)
        # A person at a terminal sees their own typing after the prompt; a piped script does
        # not, so its lines are echoed instead.
        interactive = input_stream is not None and _is_terminal(input_stream)
        while input_stream is not None:
            if interactive:
                screen.output.write(text("demo.prompt"))
                screen.output.flush()
            line = input_stream.readline()
            if not line:
                break
            await demo.handle(line, echo=not interactive)
        screen.say()
        screen.say(text("demo.bye"))
    finally:
        await application.shutdown()
        await database.dispose()
    return 0


def _is_terminal(stream: TextIO) -> bool:
    """Whether a person types into the stream (their line is then already on screen)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def run_demo(
    database_path: str | None = None,
    input_stream: TextIO | None = sys.stdin,
    output: TextIO = sys.stdout,
    role: str = "secretary",
) -> int:
    """Runs the offline demo until its input ends.

    Args:
        database_path: the demo's SQLite file; `./pingxing-demo.sqlite3` by default. It is
            created and seeded on first use and resumed afterwards.
        input_stream: where the lines come from; `None` (no stdin at all) shows the first
            screens and ends.
        output: where the transcript goes.
        role: `secretary` (bind and self-assess) or `town` (review the town's submissions).

    Returns:
        The exit status: 0, or `EXIT_IN_USE` when another demo runs on the same file.
    """
    # The bot's own errors are logged with their traceback by its error handler; keep PTB's
    # and httpx's routine INFO lines off the transcript (and invite codes out of the log).
    configure_logging(logging.WARNING)
    return asyncio.run(_run(database_path or DEFAULT_DATABASE_PATH, input_stream, output, role))
