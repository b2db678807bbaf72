"""One webhook instance on an offline Bot API, its calls recorded to a file.

For running several instances as separate processes against one database without Telegram
(the several-instances test, `benchmarks/bench_webhook.py`): each process is the real
Application in webhook mode, uvicorn on a local port, with `SharedChatsBotApi` standing in for
Telegram. When it stops (SIGTERM) it writes every Bot API call it made, one JSON object a line:
`{"at": <unix time>, "method": "sendMessage", "params": {...}, "ok": true}`.

    PINGXING_DATABASE_URL=... PINGXING_WEBHOOK_URL=http://127.0.0.1:8101/hook \\
    PINGXING_WEBHOOK_SECRET=... PINGXING_LISTEN=127.0.0.1:8101 \\
    python -m bot.server.offline_instance calls.jsonl
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from bot.offline import FakeBotApi
from bot.offline.chat_state import ChatMessage
from handlers.outbox import OutgoingMessage
from storage.models import Delivery, DeliveryKind

__all__ = ["SharedChatsBotApi", "main", "render_due_key", "send_every_kind_plainly"]


class SharedChatsBotApi(FakeBotApi):
    """The fake Bot API of one of several instances that share one bot.

    Telegram holds each chat once, for every instance; each process's fake knows only the
    messages it sent itself. A message or callback query another instance's fake issued is
    therefore taken as Telegram would take it: an edit of a bot message it has not seen edits
    a stand-in, and a query it did not open may be answered once here.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.timeline: list[dict[str, Any]] = []
        self._foreign_messages: dict[tuple[int, int], ChatMessage] = {}
        self._foreign_answers: set[str] = set()

    def stored_message(self, chat_id: int, message_id: int) -> ChatMessage:
        """This fake's message, or a stand-in for a bot message another instance sent."""
        try:
            return super().stored_message(chat_id, message_id)
        except LookupError:
            key = (chat_id, message_id)
            if key not in self._foreign_messages:
                self._foreign_messages[key] = ChatMessage(
                    chat_id, message_id, self.now(), self.bot_user, from_bot=True, text=""
                )
            return self._foreign_messages[key]

    def close_callback_query(self, query_id: str) -> bool:
        """A query this fake opened, or one it never saw, answered for the first time here."""
        if super().close_callback_query(query_id):
            return True
        if query_id in self._foreign_answers:
            return False
        self._foreign_answers.add(query_id)
        return True

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
        """Answers as the fake does and notes the call with the time it was answered."""
        recorded = len(self.calls)
        status, body = await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        if len(self.calls) > recorded:
            call = self.calls[-1]
            self.timeline.append(
                {
                    "at": time.time(),
                    "method": call.method,
                    "params": call.params,
                    "ok": status == 200,
                }
            )
        return status, body

    def write_timeline(self, path: Path) -> None:
        """Writes the calls, one JSON object a line."""
        with path.open("w", encoding="utf-8") as file:
            for entry in self.timeline:
                file.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")


def render_due_key(session: Session, delivery: Delivery, now: datetime) -> OutgoingMessage:
    """Renders any delivery as its kind and due key: what an offline run sends."""
    return OutgoingMessage(f"{delivery.kind} {delivery.due_key}")


def send_every_kind_plainly(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Gives every delivery kind `render_due_key`, so an offline run sends whatever is owed."""
    application.bot_data.delivery_renderers = {kind: render_due_key for kind in DeliveryKind}


def main(argv: list[str] | None = None) -> int:
    """Runs one instance from the environment until SIGTERM, then writes its calls.

    `--plain-deliveries` sends every delivery as its kind and due key.
    """
    from bot.logs import configure_logging
    from bot.server.webhook import serve_webhook
    from bot.settings import Settings

    arguments = sys.argv[1:] if argv is None else argv
    plain = "--plain-deliveries" in arguments
    files = [argument for argument in arguments if argument != "--plain-deliveries"]
    if len(files) != 1:
        print(
            "usage: python -m bot.server.offline_instance [--plain-deliveries] CALLS.jsonl",
            file=sys.stderr,
        )
        return 2
    settings = Settings()
    configure_logging(logging.WARNING)
    api = SharedChatsBotApi()
    status = serve_webhook(
        settings, request=api, configure=send_every_kind_plainly if plain else None
    )
    api.write_timeline(Path(files[0]))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
