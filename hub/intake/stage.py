"""Stage 1 of the exchange, per source: pull pages and commit each with its position.

One driver for every way the hub runs: :func:`run_source` streams a source page
by page (``python -m hub.intake.stage``, benchmarks, the crash tests), and the
Airflow tasks split the same work in two: :func:`extract` stages the raw pages
on disk (the agency is read once; a retry of ``intake`` does not call it
again) and :func:`intake` commits them. Both commit every page through
:meth:`IntakeRun.commit`: raw store, :func:`~hub.intake.page.check_page`
(validate -> verify), :func:`~hub.intake.page.normalise_page`,
:func:`~hub.intake.commit.commit_page` (one Kafka transaction with the
position), then the source's acknowledgement.

The transactional id is per source, so a zombie run of the source is fenced by
the broker when a new run initialises.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from connectors.base import Page, SourceConnector
from hub.batch_gc import batch_gc
from hub.config import Settings, load_settings
from hub.errors import BrokerError, IdentityRace, StateError
from hub.intake import staging
from hub.intake.commit import commit_page
from hub.intake.identity.outbox import RegistryOutbox
from hub.intake.normalise import Normaliser
from hub.intake.page import CheckedPage, PageOutcome, PartnerTrust, check_page, normalise_page
from hub.intake.positions import await_position, load_positions
from hub.intake.raw_store import RawStore
from hub.kafka.topics import Topics, topics_for
from hub.kafka.transactions import TransactionalProducer
from hub.keys import open_pki
from hub.model.notices import NoticeSealer
from hub.runs import metrics
from hub.runs.summary import SourceRunSummary, recorded
from hub.sources import SourceConfig, load_sources

log = logging.getLogger(__name__)

# A page whose registry write lost an identifier to another stage 1 is judged again
# against the winner's person. It can lose again to a new person another source binds
# meanwhile (a backfill of several sources at once: a 1,000,000-record run lost three
# times in a row), so the last attempt holds the registry's write lock while it judges
# and writes the page: the other sources' registry writes wait for it, and it cannot lose.
IDENTITY_RACE_ATTEMPTS = 3


def transactional_id(settings: Settings, source: str) -> str:
    """One per source (zombie runs of it are fenced), per hub (prefix) on a shared cluster."""
    return f"{settings.topic_prefix}stage1-{source}"


def registry_url(settings: Settings) -> str:
    """The person registry: ``HUB_REGISTRY_URL`` (PostgreSQL in production) or SQLite."""
    return settings.registry_url or str(settings.var_dir / "registry.sqlite")


def build_connector(source: SourceConfig, settings: Settings) -> SourceConnector:
    from connectors.registry import connector_for

    return connector_for(source, settings)


@dataclass
class IntakeRun:
    """Everything one run of a source holds open (closed together), and its summary."""

    source: SourceConfig
    settings: Settings
    topics: Topics
    summary: SourceRunSummary
    raw_store: RawStore
    normaliser: Normaliser
    partner: PartnerTrust | None
    producer: TransactionalProducer
    seal: NoticeSealer
    stack: ExitStack = field(default_factory=ExitStack)

    @classmethod
    def open(
        cls, source: SourceConfig, settings: Settings, summary: SourceRunSummary
    ) -> IntakeRun:
        stack = ExitStack()
        try:  # what is open so far is closed if a later part fails to open
            stack.enter_context(batch_gc())
            raw_store = RawStore(settings.raw_store_dir)
            stack.callback(raw_store.close)
            normaliser = Normaliser.open(registry_url(settings))
            stack.callback(normaliser.close)
            normaliser.registry.source = source.name  # its merges are re-sent until committed
            topics = topics_for(settings)
            producer = TransactionalProducer.open(
                settings, transactional_id(settings, source.name), role="stage1",
                probe_topic=topics.intake,
            )
            stack.callback(producer.close)
            partner = _partner_trust(source, settings)
        except BaseException:
            stack.close()
            raise
        return cls(
            source=source,
            settings=settings,
            topics=topics,
            summary=summary,
            raw_store=raw_store,
            normaliser=normaliser,
            partner=partner,
            producer=producer,
            seal=NoticeSealer(lambda: open_pki(settings).hub_signing_key()),
            stack=stack,
        )

    def commit(self, page: Page) -> None:
        """Keep the raw bytes, judge the page, commit it with the position after it.

        When another source's stage 1 bound one of the page's new identifiers first
        (two agencies reporting a new person at once), the registry refused the
        page's resolutions and its transaction aborted: the page is normalised again
        (its validation and signature checks depend on its bytes only and stand).
        """
        self.raw_store.put_many((raw.body, raw.digest) for raw in page.records)
        checked = check_page(page.records, self.partner)
        store = self.normaliser.registry.store
        for attempt in range(1, IDENTITY_RACE_ATTEMPTS + 1):
            last = attempt == IDENTITY_RACE_ATTEMPTS
            if last:
                store.hold_writes()
            try:
                self._commit_once(page, checked)
                return
            except IdentityRace as race:
                self.normaliser.facts.discard_pending()  # the registry forgot the page too
                if last:
                    raise
                self.summary.rejudged += 1
                log.info("%s: %s; judging the page again (attempt %d)",
                         self.source.name, race, attempt + 1)
            finally:
                if last:
                    store.release()

    def _commit_once(self, page: Page, checked: CheckedPage) -> None:
        outcome = normalise_page(checked, self.normaliser)
        started = time.monotonic()
        commit_page(
            self.producer,
            self.topics,
            self.source.name,
            outcome,
            page.position,
            before_commit=self.normaliser.flush,
            summary=self.summary,
            seal=self.seal,
            merges=RegistryOutbox(self.normaliser.registry),
        )
        self._report(page, outcome, time.monotonic() - started)
        for notice in page.notices:  # after the commit: a replayed page is not counted twice
            log.warning("%s: %s", self.source.name, notice)
            self.summary.notices.append(notice)

    def settle(self) -> None:
        """At the end of a run: wait until its last position can be read back, so the
        next run of the source cannot start from an older one (``await_position``)."""
        if not self.summary.pages:
            return
        topic, name = self.topics.connector_state, self.source.name
        try:  # everything is committed: a read that fails here must not fail the run
            readable, why = await_position(self.settings, topic, name, self.summary.position), ""
        except (BrokerError, StateError) as exc:
            readable, why = False, f" ({exc})"
        if not readable:
            notice = (f"{topic}: the position committed last is not readable yet{why}; the "
                      "next run may pull its last page again (stage 2 drops it as a replay)")
            log.warning("%s: %s", name, notice)
            self.summary.notices.append(notice)

    def _report(self, page: Page, outcome: PageOutcome, seconds: float) -> None:
        """A progress line and the metrics of one committed page."""
        quarantined: dict[str, int] = {}
        for q in outcome.quarantined:
            quarantined[q.rule] = quarantined.get(q.rule, 0) + 1
        metrics.page_committed(
            self.settings,
            self.source.name,
            pulled=len(page.records),
            valid=len(outcome.candidates),
            quarantined=quarantined,
            seconds=seconds,
        )
        s = self.summary
        log.info(
            "%s: page %d committed in %.0f ms: %d records, %d valid, %d quarantined "
            "(this run: %d pulled, %d to intake)",
            s.source, s.pages, seconds * 1000, len(page.records), len(outcome.candidates),
            len(outcome.quarantined), s.pulled, s.intake,
        )


def _partner_trust(source: SourceConfig, settings: Settings) -> PartnerTrust | None:
    """Partner sources verify signatures against the partner's pinned CA; others need none."""
    if source.family != "partner":
        return None
    from hub.keys import trust_store

    return PartnerTrust(str(source.options.get("state", "")), trust_store(settings))


def run_source(
    source: SourceConfig,
    settings: Settings | None = None,
    run_id: str = "",
    *,
    connector: SourceConnector | None = None,
    max_pages: int | None = None,
) -> SourceRunSummary:
    """Pull the source page by page, one intake transaction per page."""
    settings = settings or load_settings()
    summary = SourceRunSummary(source=source.name, family=source.family, run_id=run_id)
    with recorded(summary, settings.var_dir / "runs"):
        run = IntakeRun.open(source, settings, summary)
        with run.stack:
            conn = connector or build_connector(source, settings)
            position = load_positions(settings, run.topics.connector_state).get(source.name)
            conn.start()
            run.stack.callback(conn.stop)
            exhausted = False
            for page in conn.pages(position, max_pages=max_pages or source.max_pages):
                run.commit(page)
                # Acknowledge to the source (SMEV Ack) only once the page is durable here.
                conn.commit(page.position)
                exhausted = page.exhausted
            run.settle()
            summary.backlog = 0 if exhausted else None
    return summary


# --- the Airflow split: extract stages raw pages, intake commits them -----------------


def stage_dir(settings: Settings, source: str, run_id: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in run_id) or "manual"
    return settings.var_dir / "staging" / source / safe


def extract(
    source: SourceConfig,
    run_id: str,
    settings: Settings | None = None,
    *,
    connector: SourceConnector | None = None,
) -> staging.StagedRef:
    """Pull the pages after the committed position into a staged file; return its reference."""
    settings = settings or load_settings()
    topics = topics_for(settings)
    position = load_positions(settings, topics.connector_state).get(source.name)
    conn = connector or build_connector(source, settings)
    conn.start()
    try:
        meta = {"source": source.name, "run_id": run_id, "family": source.family}
        pages = conn.pages(position, max_pages=source.max_pages)
        seen: list[Page] = []

        def pulled() -> Iterator[Page]:
            for page in pages:
                seen[:] = [page]
                log.info("%s: page pulled: %d records", source.name, len(page.records))
                yield page

        ref = staging.write_pages(stage_dir(settings, source.name, run_id), pulled(), meta)
        ref["exhausted"] = bool(seen and seen[0].exhausted)
    finally:
        conn.stop()
    ref["started_at"] = time.time()
    return ref


def intake(
    ref: staging.StagedRef,
    settings: Settings | None = None,
    *,
    source: SourceConfig | None = None,
    connector: SourceConnector | None = None,
) -> SourceRunSummary:
    """Commit every staged page, one transaction each, then acknowledge it to the source."""
    settings = settings or load_settings()
    source = source or source_named(ref["source"])
    summary = SourceRunSummary(source=source.name, family=source.family, run_id=ref["run_id"])
    summary.started_at = ref.get("started_at", summary.started_at)
    with recorded(summary, settings.var_dir / "runs"):
        run = IntakeRun.open(source, settings, summary)
        with run.stack:
            conn = connector or build_connector(source, settings)
            for page in staging.read_pages(ref):
                run.commit(page)
                conn.commit(page.position)
            run.settle()
            summary.backlog = 0 if ref.get("exhausted") else None
    return summary


def source_named(name: str) -> SourceConfig:
    for s in load_sources():
        if s.name == name:
            return s
    raise KeyError(f"source {name} is not in the sources configuration")


def main(argv: list[str] | None = None) -> int:
    """``python -m hub.intake.stage --source NAME``: one streaming run of a source."""
    parser = argparse.ArgumentParser(prog="python -m hub.intake.stage")
    parser.add_argument("--source", action="append", required=True)
    parser.add_argument("--run-id", default="")
    parser.add_argument("--max-pages", type=int, default=None)
    args = parser.parse_args(argv)
    sources = {s.name: s for s in load_sources()}
    for name in args.source:
        summary = run_source(sources[name], run_id=args.run_id, max_pages=args.max_pages)
        print(json.dumps(summary.to_dict(), default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
