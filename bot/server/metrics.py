"""Prometheus metrics of one bot process, served at `GET /metrics` in webhook mode.

Each `Metrics` has its own registry, so two Applications in one process (the tests) never
count into each other. What is measured:

- `pingxing_updates_handled_total`: updates the webhook accepted and processed;
- `pingxing_updates_refused_total{reason}`: webhook requests turned away (`secret`: the secret
  token missing or wrong; `malformed`: a body that is no update);
- `pingxing_update_seconds`: one update from request to answer (handlers and replies);
- `pingxing_unit_of_work_seconds`: one database transaction, BEGIN to COMMIT or ROLLBACK;
- `pingxing_deliveries{state}`: the delivery table by state, counted when scraped;
- `pingxing_telegram_429_total`: Bot API answers "429 Too Many Requests".
"""

from __future__ import annotations

import logging
import time
from http import HTTPStatus
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from telegram.request import BaseRequest, RequestData

from bot.polling import TokenWatch
from storage.database import Database
from storage.repositories.operations import count_deliveries_by_state

__all__ = ["CONTENT_TYPE_LATEST", "CountingRequest", "Metrics"]

logger = logging.getLogger(__name__)

# Where a transaction's start time waits for its end, in the pooled connection's `info`.
_BEGAN = "pingxing_transaction_began"
# Seconds; a press's unit of work is a few milliseconds, a reminder chunk's up to seconds.
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """The process's counters and histograms, and the text `/metrics` answers with."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates_handled = Counter(
            "pingxing_updates_handled", "Updates accepted and processed.", registry=self.registry
        )
        self.updates_refused = Counter(
            "pingxing_updates_refused",
            "Webhook requests turned away, by reason.",
            ["reason"],
            registry=self.registry,
        )
        self.update_seconds = Histogram(
            "pingxing_update_seconds",
            "One update from request to answer.",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.unit_of_work_seconds = Histogram(
            "pingxing_unit_of_work_seconds",
            "One database transaction, BEGIN to COMMIT or ROLLBACK.",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.deliveries = Gauge(
            "pingxing_deliveries",
            "Deliveries in the database, by state.",
            ["state"],
            registry=self.registry,
        )
        self.too_many_requests = Counter(
            "pingxing_telegram_429",
            "Bot API answers 429 Too Many Requests.",
            registry=self.registry,
        )
        for reason in ("secret", "malformed"):
            self.updates_refused.labels(reason)

    def watch_database(self, database: Database) -> None:
        """Times every transaction on `database` from its BEGIN to its COMMIT or ROLLBACK."""
        engine = database.sync_engine

        def began(connection: Any) -> None:
            connection.info[_BEGAN] = time.perf_counter()

        def ended(connection: Any) -> None:
            start = connection.info.pop(_BEGAN, None)
            if start is not None:
                self.unit_of_work_seconds.observe(time.perf_counter() - start)

        event.listen(engine, "begin", began)
        event.listen(engine, "commit", ended)
        event.listen(engine, "rollback", ended)

    async def render(self, database: Database | None) -> bytes:
        """The metrics in Prometheus' text format, the delivery counts read now."""
        if database is not None:
            try:
                counts = await database.run(count_deliveries_by_state)
            except (SQLAlchemyError, OSError):
                # The counters still answer; /healthz says what is wrong with the database.
                logger.warning("metrics: deliveries not counted, the database did not answer")
            else:
                self.deliveries.clear()
                for state, count in counts.items():
                    self.deliveries.labels(state).set(count)
        return generate_latest(self.registry)


class CountingRequest(TokenWatch):
    """The Bot API transport of a webhook process: a `TokenWatch` that also counts 429 answers.

    Counting at the transport sees every 429, whoever made the call (a reply, the sweep).
    """

    def __init__(self, transport: BaseRequest, metrics: Metrics) -> None:
        super().__init__(transport)
        self.metrics = metrics

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
        """Makes the request as the watch does, and counts a 429 answer."""
        status, body = await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            self.metrics.too_many_requests.inc()
        return status, body
