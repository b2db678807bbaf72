"""The bot's settings, read once from the environment (`PINGXING_*`) and `.env`."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from handlers.sending import DEFAULT_SEND_RATE, TELEGRAM_SEND_RATE

if TYPE_CHECKING:
    from storage.schedule import ReminderSchedule

__all__ = ["Settings", "settings_problems"]

# What Telegram accepts as a webhook's secret_token (Bot API, setWebhook).
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _default_database_url() -> str:
    """Returns storage's default SQLite file URL (imported late: storage pulls in SQLAlchemy)."""
    from storage.engine import default_database_url

    return default_database_url()


class Settings(BaseSettings):
    """Everything the running bot needs from its environment.

    Attributes:
        bot_token: the token from @BotFather; `None` is allowed so `pingxing demo` and the tests
            run without one, and `pingxing run` refuses to start with a clear message instead.
        database_url: a SQLAlchemy async URL; defaults to storage's SQLite file.
        bot_api_url: PTB's `base_url`, for a town that runs its own Bot API server.
        timezone: the zone users read dates and deadlines in; the database stays in UTC.
        bot_username: the bot's @name without the @, used to build invite links.
        sweep_seconds: how often the delivery sweep looks for messages due.
        send_rate: messages a second the sweep sends at most, over all chats (Telegram allows
            about 30).
        reminder_time: the local time of day reminders and digests are due, `HH:MM`.
        quiet_hours: the local window nothing scheduled is sent in, `HH:MM-HH:MM`, or `off`.
        webhook_url: the public URL Telegram posts updates to; when set, `pingxing run` serves
            a webhook instead of polling.
        webhook_secret: the secret Telegram sends with every webhook request; required with
            `webhook_url`.
        listen: `host:port` the webhook server binds (a reverse proxy in front terminates TLS).
    """

    model_config = SettingsConfigDict(
        env_prefix="PINGXING_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    bot_token: SecretStr | None = None
    database_url: str = Field(default_factory=_default_database_url)
    bot_api_url: str | None = None
    timezone: str = "Asia/Shanghai"
    bot_username: str | None = None
    sweep_seconds: float = Field(default=30, gt=0)
    send_rate: float = Field(default=DEFAULT_SEND_RATE, gt=0, le=TELEGRAM_SEND_RATE)
    reminder_time: str = "09:00"
    quiet_hours: str = "22:00-08:00"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    listen: str = "127.0.0.1:8080"

    @field_validator("timezone")
    @classmethod
    def _timezone_exists(cls, value: str) -> str:
        """Rejects a zone name the tz database does not know, naming it."""
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown timezone {value!r}") from error
        return value

    @model_validator(mode="after")
    def _schedule_reads(self) -> Settings:
        """Rejects an unreadable reminder time or quiet hours, or a reminder time inside them."""
        from storage.schedule import ScheduleError

        try:
            self.reminder_schedule  # noqa: B018 (built to check it)
        except ScheduleError as error:
            raise ValueError(f"PINGXING_REMINDER_TIME / PINGXING_QUIET_HOURS: {error}") from None
        return self

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url_is_http(cls, value: str | None) -> str | None:
        """Accepts an http(s) URL with a host; its path is what the server serves."""
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(f"not an http(s) URL with a host: {value!r}")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        """Holds the secret to Telegram's rule: 1 to 256 of A-Z, a-z, 0-9, _ and -."""
        if value is not None and not _WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("use 1 to 256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("listen")
    @classmethod
    def _listen_is_host_port(cls, value: str) -> str:
        """Accepts `host:port` with a port from 1 to 65535."""
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ValueError(f"expected host:port, e.g. 127.0.0.1:8080, not {value!r}")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        """A webhook without a secret would take updates from anyone who finds the URL."""
        if self.webhook_url is not None and self.webhook_secret is None:
            raise ValueError(
                "PINGXING_WEBHOOK_SECRET is required when PINGXING_WEBHOOK_URL is set"
            )
        return self

    @field_validator(
        "bot_token",
        "bot_api_url",
        "bot_username",
        "webhook_url",
        "webhook_secret",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """Treats an empty variable (`PINGXING_BOT_TOKEN=` in `.env`) as not set."""
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @property
    def listen_host(self) -> str:
        """The host part of `listen` (brackets of an IPv6 address removed)."""
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def listen_port(self) -> int:
        """The port part of `listen`."""
        return int(self.listen.rpartition(":")[2])

    @property
    def webhook_path(self) -> str:
        """The path of `webhook_url` the server answers on (`/` when it has none)."""
        return urlsplit(self.webhook_url or "").path or "/"

    @property
    def zone(self) -> ZoneInfo:
        """The users' timezone as a `ZoneInfo`."""
        return ZoneInfo(self.timezone)

    @property
    def reminder_schedule(self) -> ReminderSchedule:
        """When reminders go out: the zone, the reminder time, the quiet hours."""
        from storage.schedule import ReminderSchedule

        return ReminderSchedule.of(self.zone, self.reminder_time, self.quiet_hours)


def settings_problems(error: ValidationError) -> list[str]:
    """One line per bad setting, naming its variable and never its value (it may be a secret)."""
    lines = []
    for problem in error.errors(include_url=False, include_input=False):
        where = problem["loc"]
        variable = f"PINGXING_{str(where[0]).upper()}" if where else "settings"
        lines.append(f"{variable}: {str(problem['msg']).removeprefix('Value error, ')}")
    return lines
