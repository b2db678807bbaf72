"""Long polling that ends when Telegram rejects the token, instead of idling forever.

PTB 22's polling loop (`telegram.ext._utils.networkloop.network_retry_loop`) retries network
errors, but on `InvalidToken` (the Bot API answering 401 or 404) it logs the error and ends the
polling task; `Application.run_polling` never learns of it and keeps the event loop running,
so a bot whose token was revoked neither polls nor exits. `TokenWatch` wraps the polling
transport and notices the rejection where it happens (the HTTP status of `getUpdates`); `poll`
then stops the application and returns a non-zero exit status, saying why in one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, TextIO

from telegram import Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from bot.logs import redact_secrets

__all__ = [
    "EXIT_TOKEN_REJECTED",
    "EXIT_UNREACHABLE",
    "TOKEN_REJECTED_LINE",
    "UNREACHABLE_LINE",
    "TokenWatch",
    "poll",
]

# A process that cannot work exits non-zero, so a supervisor restarts it and someone is told;
# 2 is the command line's status for a configuration problem, which a rejected token is.
EXIT_TOKEN_REJECTED = 2
TOKEN_REJECTED_LINE = (
    "Telegram 拒绝了 PINGXING_BOT_TOKEN / Telegram rejected PINGXING_BOT_TOKEN "
    "(revoked or mistyped): put the current token from @BotFather in the environment or .env."
)

# Telegram unreachable at start-up (no network, DNS, a proxy, a time-out): a passing failure, so
# the ordinary status 1 with one line, and the supervisor's restart tries again. Once polling,
# PTB itself retries network errors.
EXIT_UNREACHABLE = 1
UNREACHABLE_LINE = (
    "无法连接 Telegram / cannot reach Telegram at start-up ({error}): check the network or the "
    "proxy, then start again."
)
# The start of the error's own words shown in that line.
_REASON_CHARS = 200

# The statuses PTB turns into `InvalidToken` (telegram.request.BaseRequest._request_wrapper).
_REJECTED = (HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND)


class TokenWatch(BaseRequest):
    """A transport that passes every request on and remembers when the token was rejected.

    Args:
        transport: the real transport (PTB's `HTTPXRequest`, or the offline fake).
    """

    def __init__(self, transport: BaseRequest) -> None:
        self.transport = transport
        self.rejected = False
        self.on_rejected: Callable[[], None] | None = None

    @property
    def read_timeout(self) -> float | None:
        """The wrapped transport's read timeout."""
        return self.transport.read_timeout

    async def initialize(self) -> None:
        """Initialises the wrapped transport."""
        await self.transport.initialize()

    async def shutdown(self) -> None:
        """Shuts the wrapped transport down."""
        await self.transport.shutdown()

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
        """Makes the request; a rejected token marks the watch and stops the application."""
        status, payload = await self.transport.do_request(
            url,
            method,
            request_data,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
        )
        if status in _REJECTED and not self.rejected:
            self.rejected = True
            task = asyncio.current_task()
            if self.on_rejected is not None and task is not None:
                # Once this request's task (PTB's polling step) has ended and the polling loop
                # has taken its error: stopping sooner leaves that error "never retrieved".
                on_rejected = self.on_rejected
                task.add_done_callback(lambda _task: on_rejected())
        return status, payload


def poll(
    application: Application[Any, Any, Any, Any, Any, Any],
    watch: TokenWatch,
    *,
    errors: TextIO | None = None,
) -> int:
    """Runs long polling until SIGINT/SIGTERM or a rejected token; returns the exit status.

    PTB's `run_polling`, with the one difference this module exists for: when the polling task
    stops on a rejected token, the application is stopped and shut down in order too (a
    `run_polling` stopped that way re-raises the task's error from `Updater.stop` and skips the
    application's own shutdown, the database's included).

    Args:
        application: the built application; `watch` must be its `get_updates_request`.
        watch: the polling transport's watch.
        errors: where the one line about a rejected token goes; stderr by default.

    Returns:
        0 after a stop signal; `EXIT_TOKEN_REJECTED` when Telegram rejected the token, at
        start-up (getMe) or while polling; `EXIT_UNREACHABLE` when Telegram could not be
        reached at start-up.
    """
    try:
        asyncio.run(_serve(application, watch))
    except InvalidToken:
        watch.rejected = True
    except NetworkError as error:  # TimedOut too; raised by getMe or the command menu
        reason = redact_secrets(error.message)[:_REASON_CHARS]
        print(UNREACHABLE_LINE.format(error=reason), file=errors or sys.stderr)
        return EXIT_UNREACHABLE
    if watch.rejected:
        print(TOKEN_REJECTED_LINE, file=errors or sys.stderr)
        return EXIT_TOKEN_REJECTED
    return 0


async def _serve(
    application: Application[Any, Any, Any, Any, Any, Any], watch: TokenWatch
) -> None:
    """Initialises, polls until told to stop, then stops and shuts down in PTB's order."""
    stop = asyncio.Event()
    watch.on_rejected = stop.set
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows' loop
            loop.add_signal_handler(signal_number, stop.set)
    updater = application.updater
    if updater is None:
        raise RuntimeError("the application was built without an updater")
    async with application:  # initialize() now (getMe: a rejected token raises), shutdown() last
        if application.post_init is not None:
            await application.post_init(application)
        await updater.start_polling(allowed_updates=Update.ALL_TYPES)
        await application.start()
        await stop.wait()
        with contextlib.suppress(InvalidToken):  # the polling task's own end, already logged
            await updater.stop()
        # Before PTB's stop, which waits for running jobs: the sweep then finishes only the
        # sends it has begun and hands its other claims back.
        application.bot_data.stopping.set()
        await application.stop()
        if application.post_stop is not None:
            await application.post_stop(application)
    if application.post_shutdown is not None:
        await application.post_shutdown(application)
