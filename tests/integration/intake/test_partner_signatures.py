"""Partner signature failures end to end: a partner that signs badly (tampered body,
a CA the hub does not trust, an expired certificate) -> SOAP Get -> connector ->
stage 1 (``run_source``) -> the DLQ topic, each record with the rule that failed;
its well-signed neighbours go on to intake."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hub.config import Settings
from hub.intake.stage import run_source
from hub.keys import open_pki
from infra.agencies.generator import Rates
from infra.agencies.signing import is_bad, partner_signer
from tests.support.exchange import isolated_settings, read_all, source

N = 36
# One document in about three is signed badly (chosen by its content).
BAD_EVERY = 3
FEED = "partner:UZB"


@pytest.mark.parametrize(
    ("kind", "rule"),
    [
        ("tampered", "sig.invalid"),
        ("unknown-ca", "sig.untrusted-ca"),
        ("expired", "sig.cert-expired"),
    ],
)
def test_bad_partner_signatures_land_in_the_dlq_with_their_rule(
    kind: str,
    rule: str,
    tmp_path: Path,
    kafka_settings: Settings,
    unique_name: Callable[[str], str],
    make_simulator: Callable[..., Any],
) -> None:
    settings = isolated_settings(tmp_path, kafka_settings, unique_name)
    signer = partner_signer(open_pki(settings), bad={"UZB": kind}, bad_every=BAD_EVERY)
    sim = make_simulator(
        seed=11,
        rates=Rates(invalid=0.0, hostile=0.0, correction=0.0),
        counts={FEED: N},
        signer=signer,
    )
    gen = sim.generator
    bad = {
        gen.ground_truth(FEED, i).record_id
        for i in range(N)
        if is_bad(gen.record(FEED, i), BAD_EVERY)
    }
    assert 0 < len(bad) < N, "the seed should sign some documents badly and some well"
    src = source(
        "partner-uzb-sig",
        "partner",
        f"{sim.url}/partner/UZB",
        batch_size=10,
        options={"state": "UZB"},
    )

    summary = run_source(src, settings, run_id=f"sig-{kind}")

    assert summary.state == "success"  # bad records never stop their neighbours
    assert summary.pulled == N
    assert dict(summary.quarantined) == {rule: len(bad)}
    assert summary.intake == N - len(bad)
    dlq = read_all(settings).dlq
    assert Counter(d["findings"][0]["rule"] for d in dlq) == {rule: len(bad)}
    assert {d["record_id"] for d in dlq} == bad
    # All acknowledged to the partner only after the commit: the queue is empty.
    assert sim.state.snapshot()["queues"][FEED]["depth"] == 0
