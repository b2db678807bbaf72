"""The bot without Telegram: a fake Bot API transport, update builders and the spec checker.

The tests and ``pingxing demo`` run the real PTB ``Application`` against ``FakeBotApi``::

    from telegram.ext import ApplicationBuilder
    from bot.offline import FakeBotApi, FakeUser, UpdateFactory

    api = FakeBotApi()  # strict: a request Telegram would refuse raises BotApiViolation
    application = (
        ApplicationBuilder().token("123456:TEST").request(api).get_updates_request(api).build()
    )
    await application.initialize()  # getMe is answered by the fake
    updates = UpdateFactory(api, application.bot)
    user = FakeUser(1001, "张书记")
    await application.process_update(updates.message(user, "/start CODE"))
    shown = api.last_message(user.id)  # text, keyboard, buttons
    await application.process_update(updates.press_button(user, shown, "完全做到"))
    api.assert_no_violations()  # handler exceptions go to PTB's error handlers, not the test
    await application.shutdown()

Steering: ``api.fail_next("sendMessage", 429, retry_after=5)``, ``api.block_chat(user.id)``,
``api.refuse_chat(user.id, 400)``, ``api.expire_callback_queries()``, and
``FakeBotApi(enforce_limits=True)`` for Telegram's flood limits. Records: ``api.calls``,
``api.calls_to(method)``, ``api.calls_answered(429)``, ``api.chat_messages(chat_id)``,
``api.callback_answers``, ``api.violations``.
"""

from bot.offline.chat_state import ApiCall, ApiError, Button, ChatMessage, UploadedFile
from bot.offline.spec import BotApiSpec, default_spec
from bot.offline.transport import BotApiViolation, FakeBotApi
from bot.offline.updates import FakeUser, UpdateFactory

__all__ = [
    "ApiCall",
    "ApiError",
    "BotApiSpec",
    "BotApiViolation",
    "Button",
    "ChatMessage",
    "FakeBotApi",
    "FakeUser",
    "UpdateFactory",
    "UploadedFile",
    "default_spec",
]
