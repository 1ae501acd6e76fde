"""Evidence for the reconciliation: records held in quarantine that would have counted.

The DLQ topic is read ``read_committed`` (``hub.intake.quarantine.read_dlq``: no consumer
group, nobody's position moves). Each quarantined record's raw document comes
from the raw store and is read by the same definitions as the events
(``definitions.fact_of``), so "would have counted as an arrival in Astana in
2006-03" means exactly what the hub's own figures mean. A record quarantined
and later resent fixed (its record id reached the statistics) is no longer held.
"""

from __future__ import annotations

import logging
from collections import Counter

from hub.config import Settings
from hub.errors import HubError
from hub.statistics.definitions import NOT_COUNTED, fact_of
from hub.statistics.periods import Period
from hub.statistics.store import FactStore
from security.errors import UnsafeXmlError

log = logging.getLogger(__name__)

#: (fact kind, region prefix, source) -> quarantined records of the period
Held = Counter[tuple[str, str, str]]


def quarantined_facts(settings: Settings, period: Period, store: FactStore) -> Held | None:
    """What the DLQ holds back from ``period``'s figures; None when the DLQ cannot be read."""
    from hub.intake.quarantine import read_dlq

    latest: dict[tuple[str, str], str] = {}  # (source, record id) -> raw digest, last wins
    try:
        for entry in read_dlq(settings):
            v = entry.value
            if v.get("raw_digest") and v.get("record_id"):
                latest[(str(v.get("source", "")), str(v["record_id"]))] = str(v["raw_digest"])
    except HubError as exc:  # BrokerError, or the DLQ not read to its end
        log.warning("quarantine not read, the reconciliation cannot name it: %s", exc)
        return None
    return _held(settings, period, store, latest)


def _held(
    settings: Settings, period: Period, store: FactStore, latest: dict[tuple[str, str], str]
) -> Held:
    from hub.intake.raw_store import RawStore
    from security.safe_xml import parse_untrusted

    held: Held = Counter()
    resent: dict[str, set[str]] = {}
    raw = RawStore(settings.raw_store_dir)
    try:
        for (source, record_id), digest in latest.items():
            if source not in resent:
                resent[source] = store.record_ids(source)
            if record_id in resent[source]:
                continue  # fixed and resent: it counts in the hub's figures now
            try:
                root = parse_untrusted(raw.get(digest))
            except (HubError, UnsafeXmlError):  # gone or hostile: it never could count
                continue
            fact = fact_of(root)
            if fact.kind != NOT_COUNTED and period.contains(fact.day):
                held[(fact.kind, fact.region, source)] += 1
    finally:
        raw.close()
    return held
