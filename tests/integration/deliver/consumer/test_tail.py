"""``mhub tail``: verified events become one XML file each; a tampered one goes to rejected/."""

from __future__ import annotations

import argparse

from hub.cli import tail as cli
from hub.kafka.topics import topics_for
from tests.support import events as ev

# Published before the tail starts; idle counts from the group join (see test_consumer).
IDLE_S = "5"


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
            IDLE_S,
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


def test_verify_accepts_a_tailed_batch_event_and_rejects_a_tampered_copy(
    hub_settings, pki, publish, tmp_path, monkeypatch, capsys
):
    """What an integrator does: tail events, then check one again with mhub verify alone."""
    from hub.cli import main
    from tests.support.fixtures import batch_records

    events = [ev.border_event(p, n) for n, p in enumerate(ev.PEOPLE[:3])]
    records, batch_id = batch_records(pki, hub_settings, events)
    publish(records)
    monkeypatch.setenv("HUB_TOPIC_PREFIX", hub_settings.topic_prefix)
    out = tmp_path / "tail"
    common = ["--trust", str(pki.trust_dir)]
    assert main(["tail", "--family", "border", "--out", str(out), "--group", "tail-verify",
                 "--state-dir", str(tmp_path / "st"), "--idle-timeout", IDLE_S, *common]) == 0
    assert (out / "manifests" / f"{batch_id}.xml").exists()
    tailed = out / f"{ev.event_id(events[1])}.xml"
    capsys.readouterr()

    assert main(["verify", str(tailed), *common]) == 0
    assert f"OK {tailed}: leaf 1 of batch {batch_id}" in capsys.readouterr().out

    tampered = out / "tampered.xml"
    tampered.write_bytes(tailed.read_bytes().replace(b"<Direction>", b"<Direction>X", 1)
                         if b"<Direction>" in tailed.read_bytes()
                         else tailed.read_bytes().replace(b"PersonId>", b"PersonId>X", 1))
    assert tampered.read_bytes() != tailed.read_bytes()
    assert main(["verify", str(tampered), *common]) == 1
    assert "FAIL proof." in capsys.readouterr().out

    # Without the manifest beside it, the manifest comes from the batches topic.
    moved = tmp_path / "alone.xml"
    moved.write_bytes(tailed.read_bytes())
    assert main(["verify", str(moved), *common]) == 0
