"""Webhook mode: the Application under starlette and uvicorn, as in PTB's custom-webhook example.

Three routes:

- `POST <path of PINGXING_WEBHOOK_URL>`: an update from Telegram. The secret token header is
  compared in constant time; without it, or with another, the answer is 403 and no handler sees
  the request. The update is processed (its unit of work committed, its replies sent) before the
  answer 200, so a process that dies mid-update makes Telegram deliver it again, and a
  re-delivered update id is acknowledged and skipped by the unit of work.
- `GET /healthz`: 200 when the database is reachable and at the newest migration, else 503,
  with a JSON body either way.
- `GET /metrics`: `bot.server.metrics` in Prometheus' text format.

uvicorn handles SIGTERM and SIGINT: it stops accepting requests, lets the ones in flight finish,
then the lifespan's exit stops the Application (its jobs, the sweep, finish or release their
work) and closes the database.
"""

from __future__ import annotations

import hmac
import json
import logging
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application
from telegram.request import BaseRequest

from bot.server.health import check_database
from bot.server.metrics import CONTENT_TYPE_LATEST, CountingRequest, Metrics
from bot.settings import Settings

__all__ = ["SECRET_HEADER", "create_webhook_app", "running", "serve_webhook"]

logger = logging.getLogger(__name__)

# The header Telegram sends the webhook's secret_token in (Bot API, setWebhook).
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# setWebhook's max_connections: the most Telegram allows (1-100, default 40). Each request waits
# until its update is saved and answered, so this bounds how many are processed at once.
MAX_CONNECTIONS = 100

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


@asynccontextmanager
async def running(
    application: AnyApplication,
    *,
    metrics: Metrics,
    webhook_url: str | None = None,
    secret: str | None = None,
) -> AsyncIterator[None]:
    """Starts the Application the way `run_polling` would, minus the polling, and stops it.

    Order as PTB's own runner: initialize, post_init, (setWebhook), start; on exit stop,
    post_stop, shutdown, post_shutdown.

    Args:
        application: the bot, built by `bot.app.build_application`.
        metrics: the process's metrics; they start timing the database once it is open.
        webhook_url: registered with Telegram (with `secret`) when given.
        secret: the webhook's secret token.
    """
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        metrics.watch_database(application.bot_data.require_database())
        if webhook_url is not None:
            await application.bot.set_webhook(
                webhook_url,
                secret_token=secret,
                allowed_updates=Update.ALL_TYPES,
                max_connections=MAX_CONNECTIONS,
            )
        await application.start()
        try:
            yield
        finally:
            # Before PTB's stop, which waits for running jobs: the sweep then finishes only
            # the sends it has begun and hands its other claims back.
            application.bot_data.stopping.set()
            await application.stop()
            if application.post_stop is not None:
                await application.post_stop(application)
    finally:
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


def _parse_update(body: bytes, application: AnyApplication) -> Update | None:
    """The update in a request body, or None when the body is no update."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
        return None
    try:
        return Update.de_json(payload, application.bot)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def create_webhook_app(
    application: AnyApplication,
    *,
    path: str,
    secret: str,
    metrics: Metrics,
    webhook_url: str | None = None,
) -> Starlette:
    """The ASGI app serving the webhook, `/healthz` and `/metrics` for `application`.

    Its lifespan runs the Application (`running`); a caller that runs it itself (the tests,
    with an ASGI transport that has no lifespan) just sends requests.

    Args:
        application: the bot.
        path: the URL path Telegram posts to (the path of `PINGXING_WEBHOOK_URL`).
        secret: the webhook's secret token.
        metrics: where the routes count.
        webhook_url: registered with Telegram at start-up when given.
    """
    expected = secret.encode()

    async def receive_update(request: Request) -> Response:
        """Checks the secret, then processes the update before answering 200."""
        offered = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(offered, expected):
            metrics.updates_refused.labels("secret").inc()
            return Response(status_code=403)
        started = time.perf_counter()
        update = _parse_update(await request.body(), application)
        if update is None:
            metrics.updates_refused.labels("malformed").inc()
            return Response(status_code=400)
        # Through the update processor, so one user's updates keep their order (as in polling).
        await application.update_processor.process_update(
            update, application.process_update(update)
        )
        metrics.updates_handled.inc()
        metrics.update_seconds.observe(time.perf_counter() - started)
        return Response(status_code=200)

    async def healthz(_request: Request) -> Response:
        """200 when the database is reachable and migrated, 503 otherwise."""
        database = application.bot_data.database
        if database is None:
            return JSONResponse({"status": "starting"}, status_code=503)
        health = await check_database(database)
        if health.error is not None:
            logger.warning("health check: database unreachable: %s", health.error)
        return JSONResponse(health.as_json(), status_code=200 if health.healthy else 503)

    async def serve_metrics(_request: Request) -> Response:
        """The metrics in Prometheus' text format."""
        body = await metrics.render(application.bot_data.database)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with running(application, metrics=metrics, webhook_url=webhook_url, secret=secret):
            yield

    return Starlette(
        routes=[
            Route(path, receive_update, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", serve_metrics, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def serve_webhook(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    configure: Callable[[AnyApplication], None] | None = None,
) -> int:
    """Runs the bot in webhook mode until SIGTERM or SIGINT; returns the exit status.

    Args:
        settings: with `webhook_url` and `webhook_secret` set (the settings insist on both).
        request: the Bot API transport; PTB's httpx one when absent (the tests of several
            processes pass an offline fake).
        configure: called with the built Application before it starts (offline runs).

    Returns:
        0 after a stop signal; `EXIT_TOKEN_REJECTED` when Telegram rejected the token; 1 when
        the server could not start for another reason (the log says which).
    """
    import uvicorn
    from telegram.request import HTTPXRequest

    from bot.app import build_application
    from bot.polling import EXIT_TOKEN_REJECTED, TOKEN_REJECTED_LINE

    if settings.webhook_url is None or settings.webhook_secret is None:
        raise ValueError("webhook mode needs PINGXING_WEBHOOK_URL and PINGXING_WEBHOOK_SECRET")
    metrics = Metrics()
    # As many connections as PTB's own default for a concurrent bot: replies of many users.
    transport = request if request is not None else HTTPXRequest(connection_pool_size=256)
    watch = CountingRequest(transport, metrics)
    application = build_application(settings, request=watch)
    if configure is not None:
        configure(application)
    web_app = create_webhook_app(
        application,
        path=settings.webhook_path,
        secret=settings.webhook_secret.get_secret_value(),
        metrics=metrics,
        webhook_url=settings.webhook_url,
    )
    config = uvicorn.Config(
        web_app,
        host=settings.listen_host,
        port=settings.listen_port,
        # The process's logging is already set up (and redacted); uvicorn keeps to it.
        log_config=None,
        # One line per update comes from the bot itself, with ids instead of a request line.
        access_log=False,
        # Behind the reverse proxy, the client address is the one it forwards.
        proxy_headers=True,
    )
    server = uvicorn.Server(config)
    # A token revoked while serving: stop as after SIGTERM, then say why.
    watch.on_rejected = lambda: setattr(server, "should_exit", True)
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then raises the signal again for the
    # handler it found installed. That handler is this no-op, so the process ends with status
    # 0 as in polling mode, and the caller's own clean-up after this function still runs.
    previous = {
        number: signal.signal(number, lambda _number, _frame: None)
        for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        server.run()
    except SystemExit:
        # uvicorn exits (status 3) when the Application fails to start; the log has the
        # error, and a rejected token gets its one line and status 2 below, as in polling.
        pass
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if watch.rejected:
        print(TOKEN_REJECTED_LINE, file=sys.stderr)
        return EXIT_TOKEN_REJECTED
    return 0 if server.started else 1
