"""Column types that behave the same on SQLite and PostgreSQL.

SQLite has neither a decimal nor a timezone-aware timestamp type: SQLAlchemy's `Numeric` goes
through binary floats there (and warns about it), and `DateTime` comes back naive. These two
decorators make the difference invisible to the rest of the code.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Dialect, Numeric, String
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = ["ExactDecimal", "UTCDateTime"]


class ExactDecimal(TypeDecorator[Decimal]):
    """A `Decimal` stored exactly: NUMERIC on PostgreSQL, its string form on SQLite."""

    impl = String(40)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Picks NUMERIC (unbounded precision) where the database has a real decimal type."""
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(asdecimal=True))
        return dialect.type_descriptor(String(40))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        """Refuses floats, which would already have lost the exact value."""
        if value is None:
            return None
        if not isinstance(value, Decimal | int):
            raise TypeError(f"expected a Decimal, got {type(value).__name__}: {value!r}")
        exact = Decimal(value)
        if not exact.is_finite():
            raise ValueError(f"cannot store a non-finite decimal: {value!r}")
        return exact if dialect.name == "postgresql" else str(exact)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        """Returns a `Decimal` whatever the driver handed back."""
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: stored as UTC, always returned timezone-aware in UTC.

    PostgreSQL keeps it in TIMESTAMPTZ. SQLite keeps the naive UTC wall time, whose fixed-width
    text form sorts and compares correctly, so `expires_at > :now` works in SQL on both.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Uses TIMESTAMPTZ on PostgreSQL and the plain DATETIME text form elsewhere."""
        if dialect.name == "postgresql":
            return dialect.type_descriptor(DateTime(timezone=True))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        """Refuses naive datetimes: their meaning (Shanghai or UTC?) would be a guess."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime given where an aware instant is needed: {value!r}")
        utc = value.astimezone(UTC)
        return utc if dialect.name == "postgresql" else utc.replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Attaches UTC to SQLite's naive value and normalises PostgreSQL's to UTC."""
        if value is None:
            return None
        instant = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        if instant.tzinfo is None:
            return instant.replace(tzinfo=UTC)
        return instant.astimezone(UTC)
