"""Stage 1 of the exchange, per source: extract -> validate -> verify -> normalise -> intake.

The intake step writes the page's candidates (keyed by resolved person), its
quarantined records and the source's new position in ONE Kafka transaction with
a transactional id per source. A crash before the commit leaves nothing visible
and the position unmoved, so the retry pulls the same pages again; a zombie run
of the same source is fenced by the broker when the new run initialises.

Two drivers share the same transforms: :func:`run_source` streams page by page
(``make run``, benchmarks), and :func:`extract` ... :func:`intake` stage batches
on disk between Airflow tasks, passing only references through XCom.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.base import Page, RawRecord, SourceConnector
from hub.config import Settings, load_settings
from hub.intake import pipeline, staging
from hub.intake.normalise import Normaliser
from hub.intake.pipeline import Candidate, Quarantined, Valid
from hub.intake.positions import encode_position, load_positions
from hub.intake.raw_store import RawStore
from hub.kafka.clients import producer
from hub.kafka.faults import crash_point
from hub.kafka.topics import Topics, topics_for
from hub.ops.run_summary import SourceRunSummary, save
from hub.sources import SourceConfig

# Intake messages carry the schema of the candidate JSON so stage 2 can evolve.
INTAKE_SCHEMA = b"1"


def transactional_id(settings: Settings, source: str) -> str:
    """One per source (zombie runs of it are fenced), per hub (prefix) on a shared cluster."""
    return f"{settings.topic_prefix}stage1-{source}"


def build_connector(source: SourceConfig, settings: Settings) -> SourceConnector:
    from connectors.registry import connector_for

    return connector_for(source, settings)


@dataclass
class _Run:
    """Everything one run of a source holds open, closed together."""

    source: SourceConfig
    settings: Settings
    topics: Topics
    raw_store: RawStore
    normaliser: Normaliser
    summary: SourceRunSummary
    stack: ExitStack = field(default_factory=ExitStack)

    @classmethod
    def open(cls, source: SourceConfig, settings: Settings, run_id: str) -> _Run:
        run = cls(
            source=source,
            settings=settings,
            topics=topics_for(settings),
            raw_store=RawStore(settings.raw_store_dir),
            normaliser=Normaliser.open(settings, source),
            summary=SourceRunSummary(source=source.name, family=source.family, run_id=run_id),
        )
        run.stack.callback(run.normaliser.close)
        run.stack.callback(run.raw_store.close)
        return run


def transform(
    records: Iterable[RawRecord], normaliser: Normaliser
) -> Iterator[Candidate | Quarantined]:
    """validate -> verify -> normalise, streaming."""
    yield from normaliser.normalise(normaliser.verify(pipeline.validate(records)))


def _publish_page(
    prod: Any,
    run: _Run,
    items: Iterable[Candidate | Quarantined],
    position: dict[str, Any],
    identity: Callable[[], list[dict[str, Any]]],
) -> None:
    """Send one page's outcome and the position after it; caller owns the transaction."""
    t = run.topics
    headers_base = [("source", run.source.name.encode()), ("schema", INTAKE_SCHEMA)]
    for item in items:
        if isinstance(item, Candidate):
            prod.send(
                t.intake,
                key=item.partition_key.encode(),
                value=pipeline.encode_candidate(item),
                headers=[*headers_base, ("event-id", item.event_id.encode())],
            )
            run.summary.intake += 1
            run.summary.valid += 1
            run.summary.lag_s = _lag(item.updated_at, run.summary.lag_s)
        else:
            prod.send(
                t.dlq,
                key=item.raw.record_id.encode(),
                value=pipeline.encode_quarantined(item),
                headers=[*headers_base, ("rule", item.findings[0].rule.encode())],
            )
            # Counted once, by its first finding, so the counts add up to records.
            run.summary.quarantined[item.findings[0].rule] += 1
    # Merges and review flags found while normalising this page travel with it.
    for ident in identity():
        key = ident.get("survivor") or ident["person_ids"][0]
        prod.send(t.identity, key=key.encode(), value=json.dumps(ident).encode())
    prod.send(t.connector_state, key=run.source.name.encode(), value=encode_position(position))
    run.summary.position = dict(position)


def _lag(updated_at: str, current: float | None) -> float | None:
    """Seconds since the newest agency timestamp seen in this run."""
    from datetime import datetime

    try:
        ts = datetime.fromisoformat(updated_at.replace("Z", "+00:00")).timestamp()
    except (ValueError, AttributeError):
        return current
    lag = max(0.0, time.time() - ts)
    return lag if current is None else min(current, lag)


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
    run = _Run.open(source, settings, run_id)
    conn = connector or build_connector(source, settings)
    with run.stack:
        position = load_positions(settings, run.topics.connector_state).get(source.name)
        prod = producer(settings, transactional_id=transactional_id(settings, source.name))
        run.stack.callback(prod.close)
        prod.init_transactions()
        conn.start()
        run.stack.callback(conn.stop)
        with _recorded(run.summary, settings):
            for page in conn.pages(position, max_pages=max_pages or source.max_pages):
                _commit_page(prod, run, conn, page)
    return run.summary


@contextlib.contextmanager
def _recorded(summary: SourceRunSummary, settings: Settings) -> Iterator[None]:
    """The run's outcome, success or the error, saved for operators whatever happens."""
    try:
        yield
        summary.state = "success"
    except Exception as exc:
        summary.state = "failed"
        summary.error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        summary.finished_at = time.time()
        save(summary, settings.var_dir / "runs")


def _commit_page(prod: Any, run: _Run, conn: SourceConnector, page: Page) -> None:
    run.summary.pages += 1
    run.summary.pulled += len(page.records)
    run.raw_store.put_many((raw.body, raw.digest) for raw in page.records)
    prod.begin_transaction()
    try:
        _publish_page(
            prod,
            run,
            transform(page.records, run.normaliser),
            page.position,
            run.normaliser.take_identity_events,
        )
        # Persons resolved for this page must be durable before intake names them:
        # a crash after this flush and before the commit re-resolves to the same ids.
        run.normaliser.flush()
        crash_point("stage1.before-commit")
        prod.commit_transaction()
    except BaseException:
        _abort(prod)
        raise
    crash_point("stage1.after-commit")
    # Acknowledge to the source (SMEV Ack) only once the records are durable here.
    conn.commit(page.position)


def _abort(prod: Any) -> None:
    # The producer may be fenced or closed; the broker then aborts on timeout.
    with contextlib.suppress(Exception):
        prod.abort_transaction()


# --- staged driver: one function per Airflow task, references through XCom ---------


def _stage_dir(settings: Settings, source: str, run_id: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in run_id) or "manual"
    return settings.var_dir / "staging" / source / safe


def extract(
    source: SourceConfig, run_id: str, settings: Settings | None = None
) -> staging.StagedRef:
    """Pull pages after the committed position into a staged batch (raw bytes kept)."""
    settings = settings or load_settings()
    topics = topics_for(settings)
    position = load_positions(settings, topics.connector_state).get(source.name)
    conn = build_connector(source, settings)
    store = RawStore(settings.raw_store_dir)
    pages: list[dict[str, Any]] = []
    conn.start()
    try:

        def records() -> Iterator[dict[str, Any]]:
            for page in conn.pages(position, max_pages=source.max_pages):
                store.put_many((raw.body, raw.digest) for raw in page.records)
                for raw in page.records:
                    yield {"kind": "raw", "page": len(pages), **staging.raw_to_dict(raw)}
                pages.append(dict(page.position))

        meta = {"source": source.name, "run_id": run_id, "family": source.family}
        ref = staging.write_batch(
            _stage_dir(settings, source.name, run_id), "extract", records(), meta
        )
    finally:
        conn.stop()
        store.close()
    ref["positions"] = pages
    ref["started_at"] = time.time()
    return ref


def _items(
    ref: staging.StagedRef,
) -> Iterator[tuple[int, Valid | Quarantined | RawRecord | Candidate]]:
    for d in staging.read_batch(ref):
        yield d["page"], pipeline.item_from_dict(d)


def _restage(
    ref: staging.StagedRef, stage: str, items: Iterable[tuple[int, Any]]
) -> staging.StagedRef:
    out = ({"page": page, **pipeline.item_to_dict(item)} for page, item in items)
    meta = {k: v for k, v in ref.items() if k not in {"stage", "path", "count"}}
    return staging.write_batch(Path(ref["path"]).parent, stage, out, meta)


def validate(ref: staging.StagedRef) -> staging.StagedRef:
    def run() -> Iterator[tuple[int, Any]]:
        for page, item in _items(ref):
            yield page, next(pipeline.validate([item])) if isinstance(item, RawRecord) else item

    return _restage(ref, "validate", run())


def _with_normaliser(ref: staging.StagedRef, stage: str, step: str) -> staging.StagedRef:
    settings = load_settings()
    source = _source(ref)
    normaliser = Normaliser.open(settings, source)
    try:

        def run() -> Iterator[tuple[int, Any]]:
            fn = normaliser.verify if step == "verify" else normaliser.normalise
            for page, item in _items(ref):
                if isinstance(item, dict):  # an identity notice staged earlier
                    yield page, item
                    continue
                yield page, next(fn([item]))
                for ident in normaliser.take_identity_events():
                    yield page, ident
            normaliser.flush()

        return _restage(ref, stage, run())
    finally:
        normaliser.close()


def verify(ref: staging.StagedRef) -> staging.StagedRef:
    return _with_normaliser(ref, "verify", "verify")


def normalise(ref: staging.StagedRef) -> staging.StagedRef:
    return _with_normaliser(ref, "normalise", "normalise")


def _source(ref: staging.StagedRef) -> SourceConfig:
    from hub.sources import load_sources

    for s in load_sources():
        if s.name == ref["source"]:
            return s
    raise KeyError(f"source {ref['source']} is not in the sources configuration")


def intake(ref: staging.StagedRef) -> SourceRunSummary:
    """Publish the staged outcome, one transaction per source page with its position."""
    settings = load_settings()
    source = _source(ref)
    run = _Run.open(source, settings, ref.get("run_id", ""))
    run.summary.started_at = ref.get("started_at", run.summary.started_at)
    positions: list[dict[str, Any]] = ref.get("positions", [])
    with run.stack:
        prod = producer(settings, transactional_id=transactional_id(settings, source.name))
        run.stack.callback(prod.close)
        prod.init_transactions()
        conn = build_connector(source, settings)
        with _recorded(run.summary, settings):
            by_page: dict[int, list[Any]] = {}
            identity: dict[int, list[dict[str, Any]]] = {}
            for page, item in _items(ref):
                if isinstance(item, dict):
                    identity.setdefault(page, []).append(item)
                else:
                    by_page.setdefault(page, []).append(item)
            for i, position in enumerate(positions):
                items = by_page.get(i, [])
                run.summary.pages += 1
                run.summary.pulled += len(items)
                prod.begin_transaction()
                try:
                    _publish_page(prod, run, items, position, lambda i=i: identity.get(i, []))
                    prod.commit_transaction()
                except BaseException:
                    _abort(prod)
                    raise
                conn.commit(position)
    return run.summary


def main(argv: list[str] | None = None) -> int:
    """``python -m hub.intake.stage --source NAME``: one streaming run of a source."""
    from hub.sources import load_sources

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
