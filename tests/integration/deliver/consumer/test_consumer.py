"""The agency consumer against the real broker: verified, deduplicated, corroborated,
identity-resolved events, and tampered events rejected."""

from __future__ import annotations

from pathlib import Path

from hub.config import Settings
from hub.deliver.consumer import Corroboration, EventConsumer, HubEvent, IdentityMerge, Rejected
from hub.kafka.topics import topics_for
from hub.model.notices import NoticeSealer
from tests.support import events as ev
from tests.support.devpki import PkiFiles
from tests.support.fixtures import batch_records
from tests.support.reliability import record_outcome

# Every test publishes (committed) before it consumes, so once the consumer is in its
# group and reads nothing for this long, it has read everything. The consumer counts
# idle time only after partitions are assigned (a group join can take seconds on a
# loaded broker); 5 s leaves room for a slow fetch on a loaded 2-core machine.
IDLE_S = 5.0


def _consume(
    settings: Settings,
    pki: PkiFiles,
    state: Path,
    group: str,
    families: tuple[str, ...] = ("border",),
) -> list:
    with EventConsumer(
        families, settings, pki.trust_dir, state, group=group, idle_timeout_s=IDLE_S
    ) as cons:
        return list(cons.stream())


def _sealer(pki: PkiFiles) -> NoticeSealer:
    """Seals notices as stage 1 does: with the hub signing key."""
    return NoticeSealer(pki.pki.hub_signing_key)


class TestDelivery:
    def test_each_event_once_duplicates_dropped_tampered_rejected(
        self, hub_settings, hub_signer, pki, publish, tmp_path
    ):
        t = topics_for(hub_settings)
        people = ev.PEOPLE[:3]
        docs = [(p, hub_signer.sign(ev.border_event(p, n))) for n, p in enumerate(people)]
        records = [
            (t.events("border"), p.person_id.encode(), d, ev.headers(ev.border_event(p, n)))
            for n, (p, d) in enumerate(docs)
        ]
        # the first event again (a re-publish), and a tampered copy of the second
        records.append(records[0])
        tampered = ev.tamper(docs[1][1])
        records.append((t.events("border"), b"P-x", tampered, []))
        publish(records)

        items = _consume(hub_settings, pki, tmp_path, "agency-a")
        events = [i for i in items if isinstance(i, HubEvent)]
        rejected = [i for i in items if isinstance(i, Rejected)]

        assert sorted(e.event_id for e in events) == sorted(
            ev.event_id(ev.border_event(p, n)) for n, p in enumerate(people)
        )
        assert all(e.verified == "signature" and e.family == "border" for e in events)
        assert {e.citizenships for e in events} == {("KGZ",), ("UZB",)}
        assert events[0].body.tag == f"{{{ev.INTERIOR_NS}}}BorderCrossing"
        assert len(rejected) == 1 and rejected[0].rule == "sig.invalid"
        assert rejected[0].raw_xml == tampered

    def test_redelivery_after_crash_is_dropped_and_a_correction_passes(
        self, hub_settings, hub_signer, pki, publish, tmp_path
    ):
        t = topics_for(hub_settings)
        p = ev.PEOPLE[0]
        batch = [
            (t.events("border"), p.person_id.encode(), hub_signer.sign(ev.border_event(p, n)), [])
            for n in range(4)
        ]
        publish(batch)
        first = EventConsumer(
            ["border"],
            hub_settings,
            pki.trust_dir,
            tmp_path,
            group="agency-b",
            idle_timeout_s=IDLE_S,
        )
        handled = [e.event_id for e in first.events()]
        # crash: the seen-set is on disk, the offsets were never committed
        first._pending.clear()
        first._consumer.close()  # offsets move only by commit, never on close
        first.state.close()
        assert len(handled) == 4

        # correction of the first event: same event id, version 2
        publish(
            [
                (
                    t.events("border"),
                    p.person_id.encode(),
                    hub_signer.sign(ev.border_event(p, 0, version=2)),
                    [],
                )
            ]
        )
        again = _consume(hub_settings, pki, tmp_path, "agency-b")
        events = [i for i in again if isinstance(i, HubEvent)]
        assert [(e.event_id, e.version) for e in events] == [(handled[0], 2)]


class TestCorroborationsAndMerges:
    def test_known_corroboration_and_merge_applied_to_events(
        self, hub_settings, hub_signer, pki, publish, tmp_path
    ):
        t = topics_for(hub_settings)
        kgz, kgz2 = ev.PEOPLE[0], ev.PEOPLE[1]
        e0 = ev.border_event(kgz, 0)
        e1 = ev.border_event(kgz2, 1)
        # first the identity merge and a corroboration of e0 arrive ...
        publish(
            [
                (t.identity, kgz.person_id.encode(), ev.merge(kgz.person_id, kgz2.person_id,
                                                                   seal=_sealer(pki)), []),
                (
                    t.corroborations,
                    kgz.person_id.encode(),
                    ev.corroboration(ev.event_id(e0), kgz.person_id, signer=hub_signer),
                    [],
                ),
            ]
        )
        items = _consume(hub_settings, pki, tmp_path, "agency-c")
        assert any(isinstance(i, IdentityMerge) and i.survivor == kgz.person_id for i in items)
        assert any(isinstance(i, Corroboration) for i in items)
        # ... then the events themselves
        publish(
            [
                (t.events("border"), p.person_id.encode(), hub_signer.sign(e), [])
                for p, e in ((kgz, e0), (kgz2, e1))
            ]
        )
        events = {
            e.event_id: e
            for e in _consume(hub_settings, pki, tmp_path, "agency-c")
            if isinstance(e, HubEvent)
        }
        got0, got1 = events[ev.event_id(e0)], events[ev.event_id(e1)]
        assert [(c.source, c.record_id) for c in got0.corroborations] == [
            ("partner.kgz", "KG-N-77")
        ]
        assert got1.corroborations == ()
        assert got1.person_id == kgz.person_id  # absorbed id mapped to the survivor
        assert got1.reported_person_id == kgz2.person_id

    def test_late_corroboration_attaches_to_the_known_event(
        self, hub_settings, hub_signer, pki, publish, tmp_path
    ):
        t = topics_for(hub_settings)
        p = ev.PEOPLE[2]
        e = ev.border_event(p, 7)
        publish([(t.events("border"), p.person_id.encode(), hub_signer.sign(e), [])])
        with EventConsumer(
            ["border"],
            hub_settings,
            pki.trust_dir,
            tmp_path,
            group="agency-d",
            idle_timeout_s=IDLE_S,
        ) as cons:
            assert [x.event_id for x in cons.events()] == [ev.event_id(e)]
            publish(
                [
                    (
                        t.corroborations,
                        p.person_id.encode(),
                        ev.corroboration(
                            ev.event_id(e), p.person_id, "partner.uzb", signer=hub_signer
                        ),
                        [],
                    )
                ]
            )
            late = [x for x in cons.stream() if isinstance(x, Corroboration)]
            assert [c.event_id for c in late] == [ev.event_id(e)]
            assert [c.source for c in cons.state.corroborations(ev.event_id(e))] == ["partner.uzb"]


    def test_tampered_or_unsigned_corroboration_is_rejected(
        self, hub_settings, hub_signer, pki, publish, tmp_path
    ):
        t = topics_for(hub_settings)
        p = ev.PEOPLE[3]
        eid = ev.event_id(ev.border_event(p, 9))
        publish([
            (t.corroborations, p.person_id.encode(), value, [])
            for value in (
                ev.corroboration(eid, p.person_id, "partner.uzb", signer=hub_signer),
                ev.corroboration(eid, p.person_id, "partner.kgz", signer=hub_signer,
                                 tamper={"source": "partner.rus"}),
                ev.corroboration(eid, p.person_id, "partner.kgz"),
            )
        ])
        items = _consume(hub_settings, pki, tmp_path, "agency-t")
        assert [c.source for c in items if isinstance(c, Corroboration)] == ["partner.uzb"]
        assert sorted(r.rule for r in items if isinstance(r, Rejected)) == [
            "corroboration.mismatch", "corroboration.unsigned"
        ]
        record_outcome(
            "trust", "corroboration with a changed JSON field, or without its signed form",
            "the consumer library rejects both (corroboration.mismatch / .unsigned); the "
            "signed one is applied",
        )

    def test_tampered_or_unsigned_merge_notice_is_rejected(
        self, hub_settings, pki, publish, tmp_path
    ):
        t = topics_for(hub_settings)
        a, b, c = (p.person_id for p in ev.PEOPLE[:3])
        genuine = ev.merge(a, b, seal=_sealer(pki))
        forged = ev.merge(a, b, seal=_sealer(pki)).replace(b.encode(), c.encode())
        publish([(t.identity, a.encode(), value, [])
                 for value in (genuine, forged, ev.merge(a, c))])
        items = _consume(hub_settings, pki, tmp_path, "agency-n")
        merges = [i for i in items if isinstance(i, IdentityMerge)]
        assert [(m.survivor, m.absorbed) for m in merges] == [(a, (b,))]
        assert sorted(r.rule for r in items if isinstance(r, Rejected)) == [
            "notice.unsigned", "sig.invalid"
        ]
        record_outcome(
            "trust", "identity merge notice altered after signing, or unsigned, at the consumer",
            "the consumer library rejects both (sig.invalid / notice.unsigned) and applies "
            "only the signed merge",
        )


class TestBatchProofs:
    def test_batch_signed_events_verify_against_their_manifest(
        self, hub_settings, pki, publish, tmp_path
    ):
        events = [ev.border_event(p, n) for n, p in enumerate(ev.PEOPLE)]
        records, batch_id = batch_records(pki, hub_settings, events)
        # a second batch whose first event is altered after signing
        bad_events = [ev.border_event(ev.PEOPLE[0], 50), ev.border_event(ev.PEOPLE[1], 51)]
        bad_records, _ = batch_records(pki, hub_settings, bad_events, chain="p1")
        topic, key, value, headers = bad_records[0]
        bad_records[0] = (topic, key, ev.tamper(value), headers)
        publish(records + bad_records)

        items = _consume(hub_settings, pki, tmp_path, "agency-e")
        events_got = [i for i in items if isinstance(i, HubEvent)]
        rejected = [i for i in items if isinstance(i, Rejected)]
        assert sorted(e.event_id for e in events_got) == sorted(
            [ev.event_id(e) for e in events] + [ev.event_id(bad_events[1])]
        )
        assert {e.verified for e in events_got if e.event_id != ev.event_id(bad_events[1])} == {
            f"batch:{batch_id}"
        }
        assert [r.rule for r in rejected] == ["proof.invalid"]

    def test_an_event_whose_manifest_never_came_is_rejected(
        self, hub_settings, pki, publish, tmp_path
    ):
        records, batch_id = batch_records(pki, hub_settings, [ev.border_event(ev.PEOPLE[0], 3)])
        publish(records[:-1])  # the event without its manifest
        [item] = _consume(hub_settings, pki, tmp_path, "agency-f")
        assert isinstance(item, Rejected) and item.rule == "batch.no-manifest"
        assert batch_id in item.reason
