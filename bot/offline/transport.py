"""A fake Bot API server behind PTB's request interface, for tests and the offline demo.

``FakeBotApi`` is a ``telegram.request.BaseRequest``: hand it to PTB and the real ``Bot`` and
``Application`` run with no network. It answers like Telegram (increasing message ids per chat,
edits that replace text and keyboard, "message is not modified", callback queries that can be
answered once, files with sizes), records every call, and checks each against the Bot API
description (``spec.py``). A request Telegram would refuse raises ``BotApiViolation`` in strict
mode (the default) and is kept in ``api.violations`` either way.

Use::

    api = FakeBotApi()
    application = (
        ApplicationBuilder().token("123456:TEST").request(api).get_updates_request(api).build()
    )
    await application.initialize()
    updates = UpdateFactory(api, application.bot)
    await application.process_update(updates.message(FakeUser(1001, "张书记"), "/start"))
    assert api.last_message(1001).text == "..."
    api.fail_next("sendMessage", 429, retry_after=7)  # the next sendMessage raises RetryAfter
    api.refuse_chat(1002, 400)  # every call into chat 1002 raises BadRequest
    await application.shutdown()

Note that PTB's ``Application`` hands a handler's exception to the error handlers rather than to
the test, so a violation inside a handler shows up as ``api.violations``: end such tests with
``api.assert_no_violations()``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections import defaultdict, deque
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from telegram.error import TelegramError
from telegram.request import BaseRequest, RequestData

from bot.offline.chat_state import (
    ApiCall,
    ApiError,
    ApiRefusal,
    ChatMessage,
    StoredFile,
)
from bot.offline.flood_control import FloodControl, chat_of, counts_as_message
from bot.offline.methods import MethodHandlers
from bot.offline.spec import BotApiSpec, default_spec
from bot.offline.wire import (
    PendingUpdates,
    decode_request,
    error_response,
    telegram_description,
)

__all__ = ["BotApiViolation", "FakeBotApi"]

_DEFAULT_DESCRIPTIONS = {
    HTTPStatus.FORBIDDEN: "Forbidden: bot was blocked by the user",
    HTTPStatus.BAD_REQUEST: "Bad Request: injected failure",
    HTTPStatus.BAD_GATEWAY: "Bad Gateway",
}


class BotApiViolation(TelegramError, AssertionError):
    """A request real Telegram would refuse (or the fake does not model).

    It is a ``TelegramError`` so that PTB passes it through unchanged instead of wrapping it in a
    ``NetworkError``, and an ``AssertionError`` because it is a failed check of the bot's code.
    It is neither ``BadRequest`` nor ``Forbidden``, so handlers that catch those do not hide it.
    """


class FakeBotApi(BaseRequest):
    """A stand-in for Telegram's Bot API server.

    Args:
        bot_username: The bot's username, as getMe answers it.
        bot_id: The bot's user id.
        bot_first_name: The bot's display name.
        strict: Raise ``BotApiViolation`` on a request that breaks the Bot API; when false, answer
            400 as Telegram would and only record the violation.
        spec: The description to check against; the vendored one by default.
        clock: Seconds since the epoch, for message dates.
        latency: Seconds to sleep in every call, to give benchmarks a network round trip.
        enforce_limits: Answer message sends beyond Telegram's flood limits (30 a second in
            all, one a second into a chat) with 429 and ``retry_after``, timed on ``clock``.
    """

    def __init__(
        self,
        bot_username: str = "pingxing_bot",
        bot_id: int = 7_000_000_001,
        *,
        bot_first_name: str = "评星助手",
        strict: bool = True,
        spec: BotApiSpec | None = None,
        clock: Callable[[], float] = time.time,
        latency: float = 0.0,
        enforce_limits: bool = False,
    ) -> None:
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.strict = strict
        self.spec = spec or default_spec()
        self.clock = clock
        self.latency = latency
        self.calls: list[ApiCall] = []
        self.violations: list[str] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.initialized = False
        self._messages: dict[int, dict[int, ChatMessage]] = defaultdict(dict)
        self._last_message_id: dict[int, int] = defaultdict(int)
        self._users: dict[int, dict[str, Any]] = {}
        self._refused_chats: dict[int, ApiError] = {}
        self.flood_control = FloodControl(clock) if enforce_limits else None
        self._files: dict[str, StoredFile] = {}
        self._open_queries: set[str] = set()
        self._query_counter = 0
        self._file_counter = 0
        self._failures: dict[str, deque[ApiError]] = defaultdict(deque)
        self._handlers = MethodHandlers(self)
        self.pending_updates = PendingUpdates()

    # -- BaseRequest ---------------------------------------------------------------------------

    @property
    def read_timeout(self) -> float | None:
        """PTB asks for it; nothing here waits on a socket."""
        return 5.0

    async def initialize(self) -> None:
        """Marks the transport ready (PTB calls it for both of a bot's request objects)."""
        self.initialized = True

    async def shutdown(self) -> None:
        """Marks the transport closed; state and records stay readable."""
        self.initialized = False

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Answers one HTTP request as Telegram would: ``(status, JSON body)``."""
        if self.latency:
            await asyncio.sleep(self.latency)
        if method == "GET":
            return self._download(url)
        api_method = url.rsplit("/", 1)[-1]
        params, files = decode_request(request_data)
        problems = self.spec.check(api_method, params, files.keys())
        if not problems and not self._handlers.handles(api_method):
            problems = [f"{api_method}: valid Bot API method the fake does not model yet"]
        if problems:
            self.violations.extend(problems)
            error = ApiError(400, telegram_description(problems[0]))
            self.calls.append(ApiCall(api_method, params, files, error))
            if self.strict:
                raise BotApiViolation("\n".join(problems))
            return error_response(error)
        failures = self._failures.get(api_method)
        if failures:
            error = failures.popleft()
            self.calls.append(ApiCall(api_method, params, files, error))
            return error_response(error)
        if self.flood_control is not None and counts_as_message(api_method):
            flooded = self.flood_control.admit(chat_of(params))
            if flooded is not None:
                self.calls.append(ApiCall(api_method, params, files, flooded))
                return error_response(flooded)
        if api_method == "getUpdates":
            await self.pending_updates.wait(params.get("offset"), params.get("timeout", 0))
        try:
            result = self._handlers.call(api_method, params, files)
        except ApiRefusal as refusal:
            self.calls.append(ApiCall(api_method, params, files, refusal.error))
            return error_response(refusal.error)
        self.calls.append(ApiCall(api_method, params, files, result))
        return HTTPStatus.OK, json.dumps({"ok": True, "result": result}).encode("utf-8")

    # -- steering ------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Makes the next ``times`` calls of ``method`` fail as Telegram would.

        The call is still checked against the spec first. 429 answers carry
        ``parameters.retry_after`` so PTB raises ``RetryAfter``; 403 raises ``Forbidden``;
        400 raises ``BadRequest``.

        Args:
            method: The Bot API method, e.g. ``"sendMessage"``.
            status: The HTTP status, e.g. 429, 403, 400.
            description: Telegram's description; a realistic one is chosen when omitted.
            retry_after: Seconds for a 429 (default 1).
            times: How many consecutive calls fail.
        """
        if method not in self.spec.methods:
            raise ValueError(f"fail_next: {method!r} is not a Bot API method")
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            retry_after = 1 if retry_after is None else retry_after
            description = description or f"Too Many Requests: retry after {retry_after}"
        description = _description(status, description)
        for _ in range(times):
            self._failures[method].append(ApiError(status, description, retry_after))

    def block_chat(self, chat_id: int) -> None:
        """The user blocks the bot: every later call into that chat answers 403."""
        self.refuse_chat(chat_id, HTTPStatus.FORBIDDEN)

    def refuse_chat(self, chat_id: int, status: int, description: str | None = None) -> None:
        """Every later call into ``chat_id`` answers ``status`` (403 blocked, 400 refused).

        Args:
            chat_id: The chat (a user's id for a private chat).
            status: The HTTP status, e.g. 403 or 400.
            description: Telegram's description; a realistic one is chosen when omitted.
        """
        self._refused_chats[chat_id] = ApiError(status, _description(status, description))

    def expire_callback_queries(self) -> None:
        """Every open callback query times out, as after Telegram's answer window passes."""
        self._open_queries.clear()

    def queue_update(self, update: dict[str, Any]) -> None:
        """Queues an update (its JSON object) for getUpdates, for running the polling loop.

        Tests usually call ``application.process_update`` directly; this is for running the
        real polling loop (``application.updater.start_polling()``) offline.
        """
        self.pending_updates.put(update)

    def take_updates(self, offset: int | None, limit: int) -> list[dict[str, Any]]:
        """Confirms updates below ``offset`` and returns up to ``limit`` waiting ones."""
        return self.pending_updates.take(offset, limit)

    def reset_calls(self) -> None:
        """Forgets the recorded calls and violations; chat state stays."""
        self.calls.clear()
        self.violations.clear()

    # -- reading -------------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[ApiCall]:
        """The recorded calls of one method, in order."""
        return [call for call in self.calls if call.method == method]

    def calls_answered(self, status: int) -> list[ApiCall]:
        """The recorded calls answered with an error of ``status`` (e.g. 429), in order."""
        return [
            call
            for call in self.calls
            if isinstance(call.result_or_error, ApiError) and call.result_or_error.status == status
        ]

    def chat_messages(self, chat_id: int, *, include_incoming: bool = False) -> list[ChatMessage]:
        """The messages a chat shows now, oldest first; deleted ones are gone.

        Each is a snapshot: a later edit changes what the fake holds, not what you were given
        (``UpdateFactory.press`` always uses the current state, as Telegram does).

        Args:
            chat_id: The chat (a user's id for a private chat).
            include_incoming: Also list the user's own messages, not only the bot's.
        """
        return [
            dataclasses.replace(message)
            for _, message in sorted(self._messages[chat_id].items())
            if include_incoming or message.from_bot
        ]

    def last_message(self, chat_id: int) -> ChatMessage:
        """The bot's newest message in a chat.

        Raises:
            LookupError: The bot has no message in that chat.
        """
        messages = self.chat_messages(chat_id)
        if not messages:
            raise LookupError(f"the bot has no message in chat {chat_id}")
        return messages[-1]

    def message(self, chat_id: int, message_id: int) -> ChatMessage:
        """A snapshot of one message as it is now.

        Raises:
            LookupError: No such message (never sent, or deleted).
        """
        return dataclasses.replace(self.stored_message(chat_id, message_id))

    def assert_no_violations(self) -> None:
        """Fails with every recorded violation, for the end of a test."""
        if self.violations:
            raise BotApiViolation("\n".join(self.violations))

    # -- used by UpdateFactory and the method handlers -----------------------------------------

    def stored_message(self, chat_id: int, message_id: int) -> ChatMessage:
        """The message record itself, which edits change in place.

        Raises:
            LookupError: No such message (never sent, or deleted).
        """
        try:
            return self._messages[chat_id][message_id]
        except KeyError:
            raise LookupError(f"no message {message_id} in chat {chat_id}") from None

    def now(self) -> int:
        """The fake server's clock, in whole seconds like Telegram's dates."""
        return int(self.clock())

    def remember_user(self, user: dict[str, Any]) -> None:
        """Records a user so their private chat carries their name."""
        self._users[user["id"]] = user

    def chat(self, chat_id: int) -> dict[str, Any]:
        """The ``Chat`` object for a chat id (positive: private chat with that user)."""
        if chat_id > 0:
            user = self._users.get(chat_id, {})
            chat: dict[str, Any] = {
                "id": chat_id,
                "type": "private",
                "first_name": user.get("first_name", str(chat_id)),
            }
            if user.get("username"):
                chat["username"] = user["username"]
            return chat
        return {"id": chat_id, "type": "supergroup", "title": f"chat {chat_id}"}

    def add_message(self, message: ChatMessage) -> ChatMessage:
        """Stores a message under the chat's next message id and returns it."""
        self._last_message_id[message.chat_id] += 1
        message.message_id = self._last_message_id[message.chat_id]
        self._messages[message.chat_id][message.message_id] = message
        return message

    def remove_message(self, chat_id: int, message_id: int) -> None:
        """Deletes a message; a missing one raises ``KeyError``."""
        del self._messages[chat_id][message_id]

    def chat_refusal(self, chat_id: int) -> ApiError | None:
        """The error every call into ``chat_id`` answers (blocked, refused), if any."""
        return self._refused_chats.get(chat_id)

    def open_callback_query(self) -> str:
        """Issues a callback query id that the bot may answer once."""
        self._query_counter += 1
        query_id = f"{self.bot_user['id']}{self._query_counter:08d}"
        self._open_queries.add(query_id)
        return query_id

    def close_callback_query(self, query_id: str) -> bool:
        """Closes an open query; false when it was unknown or already answered."""
        if query_id not in self._open_queries:
            return False
        self._open_queries.remove(query_id)
        return True

    def add_file(
        self,
        file_size: int,
        *,
        file_id: str | None = None,
        file_unique_id: str | None = None,
        folder: str = "documents",
        extension: str = "",
        content: bytes | None = None,
    ) -> StoredFile:
        """Stores a file Telegram holds (one a user sent, or one the bot uploaded)."""
        self._file_counter += 1
        number = self._file_counter
        stored = StoredFile(
            file_id=file_id or f"BQACAgUAAx{number:06d}fake",
            file_unique_id=file_unique_id or f"AgAD{number:06d}",
            file_size=file_size,
            file_path=f"{folder}/file_{number}{extension}",
            content=content,
        )
        self._files[stored.file_id] = stored
        return stored

    def file(self, file_id: str) -> StoredFile | None:
        """The stored file with that id, if any."""
        return self._files.get(file_id)

    def _download(self, url: str) -> tuple[int, bytes]:
        for stored in self._files.values():
            if url.endswith("/" + stored.file_path):
                return HTTPStatus.OK, stored.read()
        return error_response(ApiError(404, "Not Found"))


def _description(status: int, description: str | None) -> str:
    """Telegram's words for an injected error: the given ones, or realistic ones."""
    return description or _DEFAULT_DESCRIPTIONS.get(HTTPStatus(status), HTTPStatus(status).phrase)
