"""One exchange driven through Airflow's REST API on either shape, and what it published.

The sources run one after another in the sources file's order, each publish run
starting as soon as a source has committed and none is running, so publish tasks
run beside the next source's tasks. The order is fixed because the exchange's
outcome depends on it by design: a person's id is the UUIDv5 of the identifier that
first created them (the source that saw them first), and across sources the first
report of a fact is the event, later ones its corroborations. Within that order
stage 2's batching may differ from run to run (when a publish run starts), which
changes batch proofs only: :func:`published` leaves those out, with the
timestamps, and keeps everything else byte for byte.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from hub.airflow.api import TERMINAL_RUN_STATES, AirflowApi
from hub.config import PROJECT_ROOT, Settings
from hub.publish.corroboration import FIELDS as CORROBORATION_FIELDS
from infra.airflow import runs
from security.batch import PROOF_TAG
from tests.support.exchange import EV, read_all

SOURCES_FILE = PROJECT_ROOT / "sources.toml"
# Where sources.toml expects the simulators; each shape has its own on a free port.
LOCAL_AGENCIES = "http://127.0.0.1:18700"
PUBLISH = "hub_publish"
# The one message header that differs with stage 2's batching (hub/publish/batch.py).
BATCH_HEADERS = frozenset({"batch-id"})
# Event elements that differ with the run: when the hub recorded it, the proof of its batch.
RUN_ELEMENTS = (f"{EV}RecordedAt", PROOF_TAG)


def sources_toml(agencies_url: str) -> str:
    """The project's sources file, on this shape's simulators (nothing else changed)."""
    return SOURCES_FILE.read_text(encoding="utf-8").replace(LOCAL_AGENCIES, agencies_url)


def same_signatures(sign: Callable[[str, bytes], bytes]) -> Callable[[str, bytes], bytes]:
    """A partner signer that signs each document once and serves the same signed bytes
    every time after: ECDSA signatures are randomised, and a partner record's raw digest
    (in its event and DLQ notice) covers its signature, so both shapes must get the same
    signed bytes for the same input."""
    signed: dict[tuple[str, bytes], bytes] = {}

    def once(state: str, document: bytes) -> bytes:
        key = (state, document)
        if key not in signed:
            signed[key] = sign(state, document)
        return signed[key]

    return once


def source_dag_ids() -> list[str]:
    """The source DAGs in the sources file's order."""
    names = re.findall(r'^name\s*=\s*"([^"]+)"', SOURCES_FILE.read_text(), re.MULTILINE)
    return [f"source__{n}" for n in names]


@dataclass
class ExchangeRun:
    seconds: float
    runs: list[runs.Run]

    @property
    def failed(self) -> list[str]:
        return [r.line() for r in self.runs if r.state != "success"]


def run_exchange(api: AirflowApi, source_dags: list[str], say: Callable[[str], None]
                 ) -> ExchangeRun:
    """Every source in order, publish beside them, a last publish after the last source."""
    for dag_id in [*source_dags, PUBLISH]:  # runs of a paused DAG stay queued
        runs.retrying(api.set_paused, dag_id, False)
    started = time.monotonic()
    done: list[runs.Run] = []
    publish: runs.Run | None = None
    for dag_id in source_dags:
        (source,) = runs.trigger(api, [dag_id])
        runs.wait(api, [source], say)
        done.append(source)
        if publish is None or _finished(api, publish):
            if publish is not None:
                runs.wait(api, [publish], say)  # already finished: reads its note and tasks
                done.append(publish)
            (publish,) = runs.trigger(api, [PUBLISH])
    for last in (publish, None):  # the one running, then one that starts after every commit
        if last is None:
            (last,) = runs.trigger(api, [PUBLISH])
        runs.wait(api, [last], say)
        done.append(last)
    return ExchangeRun(time.monotonic() - started, done)


def _finished(api: AirflowApi, run: runs.Run) -> bool:
    return runs.retrying(api.run, run.dag_id, run.run_id)["state"] in TERMINAL_RUN_STATES


def overlapping(api: AirflowApi, exchange: ExchangeRun) -> list[tuple[str, str]]:
    """(source task, publish task) pairs that ran at the same time, by their start and
    end dates in the metadata DB."""
    spans: dict[str, list[tuple[str, str, str]]] = {"source": [], "publish": []}
    for run in exchange.runs:
        kind = "publish" if run.dag_id == PUBLISH else "source"
        for ti in runs.retrying(api.task_instances, run.dag_id, run.run_id):
            if ti.get("start_date") and ti.get("end_date"):
                name = f"{run.dag_id}.{ti['task_id']}[{ti.get('map_index', -1)}]"
                spans[kind].append((name, ti["start_date"], ti["end_date"]))
    return [(s, p) for s, s0, s1 in spans["source"] for p, p0, p1 in spans["publish"]
            if s0 < p1 and p0 < s1]


@dataclass(frozen=True)
class Outcome:
    """What an exchange published, without what depends on batching or the clock."""

    #: (event id, version) -> (key, headers, the event's canonical bytes)
    events: dict[tuple[str, str], tuple[bytes, tuple[tuple[str, bytes], ...], bytes]]
    #: (source, record id, rules, raw digest) of every quarantined record
    dlq: list[tuple[Any, ...]]
    #: every corroboration's fields (its signed form carries its batch's proof)
    corroborations: list[tuple[str, ...]]


def published(settings: Settings) -> Outcome:
    """Every event, DLQ notice and corroboration on the shape's topics, read to the end."""
    out = read_all(settings)
    events = {}
    for key, ev, headers in out.events:
        for tag in RUN_ELEMENTS:
            for el in ev.iter(tag):
                el.getparent().remove(el)
        ident = (ev.findtext(f"{EV}EventId"), ev.findtext(f"{EV}EventVersion"))
        kept = tuple(sorted((k, v) for k, v in headers.items() if k not in BATCH_HEADERS))
        events[ident] = (key, kept, etree.tostring(ev, method="c14n", exclusive=True))
    dlq = sorted((d.get("source"), d.get("record_id"),
                  tuple(f["rule"] for f in d.get("findings", [])), d.get("raw_digest"))
                 for d in out.dlq)
    corroborations = sorted(tuple(str(c[k]) for k, _el in CORROBORATION_FIELDS)
                            for c in out.corroborations)
    return Outcome(events, dlq, corroborations)


def write_log(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
