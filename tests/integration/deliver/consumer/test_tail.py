"""``mhub tail``: verified events become one XML file each; a tampered one goes to rejected/."""

from __future__ import annotations

import argparse

from hub.cli import tail as cli
from hub.kafka.topics import topics_for
from tests.support import events as ev


def test_tail_writes_verified_events_and_rejects_a_tampered_one(
    hub_settings, hub_signer, pki, publish, tmp_path, monkeypatch, capsys
):
    t = topics_for(hub_settings)
    events = [ev.border_event(p, n) for n, p in enumerate(ev.PEOPLE[:3])]
    signed = [hub_signer.sign(e) for e in events]
    publish(
        [(t.events("border"), b"k", s, ev.headers(e)) for e, s in zip(events, signed, strict=True)]
        + [
            (t.events("border"), b"k", signed[0], []),  # re-published: dropped
            (t.events("border"), b"k", ev.tamper(signed[1]), []),
        ]
    )
    monkeypatch.setenv("HUB_TOPIC_PREFIX", hub_settings.topic_prefix)
    out = tmp_path / "tail"
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    args = parser.parse_args(
        [
            "--family",
            "border",
            "--out",
            str(out),
            "--group",
            "tail-test",
            "--trust",
            str(pki.trust_dir),
            "--state-dir",
            str(tmp_path / "st"),
            "--idle-timeout",
            "1.5",
        ]
    )
    assert cli.run(args) == 0

    written = sorted(p.name for p in out.glob("*.xml"))
    assert written == sorted(f"{ev.event_id(e)}.xml" for e in events)
    assert (out / f"{ev.event_id(events[2])}.xml").read_bytes() == signed[2]
    reasons = list((out / "rejected").glob("*.reason.txt"))
    assert len(reasons) == 1 and "rule: sig.invalid" in reasons[0].read_text()
    captured = capsys.readouterr()
    assert "REJECTED" in captured.err and "sig.invalid" in captured.err
    assert "3 events written" in captured.out and "1 duplicates dropped" in captured.out
