"""The SDMX parser on real SDMX-ML messages written by statistical agencies.

Reads every file in ``<repo root>/../shared/sdmx-samples/`` (left where it is).
Expected counts are computed independently with a plain lxml tree walk; a few
values read from the files by hand are pinned.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from connectors.sdmx import parse_sdmx


def _samples_dir() -> Path:
    """``<repo root>/../shared/sdmx-samples``; in a git worktree, the main checkout's root."""
    root = Path(__file__).resolve().parents[3]
    candidates = [root]
    git = root / ".git"
    if git.is_file():  # a worktree: "gitdir: <main>/.git/worktrees/<name>"
        gitdir = Path(git.read_text().split(":", 1)[1].strip())
        candidates.append(gitdir.parents[2])  # <main>/.git/worktrees/<name> -> <main>
    for c in candidates:
        d = (c / ".." / "shared" / "sdmx-samples").resolve()
        if d.is_dir():
            return d
    return (root / ".." / "shared" / "sdmx-samples").resolve()


SAMPLES = _samples_dir()
FILES = sorted(SAMPLES.glob("*.xml")) if SAMPLES.is_dir() else []

pytestmark = pytest.mark.skipif(
    not FILES, reason=f"no SDMX samples at {SAMPLES} (shared folder absent on this machine)"
)


def _local(el) -> str:
    return etree.QName(el).localname


def expected(path: Path) -> dict:
    """Counts and keys by walking the whole tree: independent of the streaming parser."""
    root = etree.parse(str(path)).getroot()
    obs = [e for e in root.iter() if isinstance(e.tag, str) and _local(e) == "Obs"]
    series = [e for e in root.iter() if isinstance(e.tag, str) and _local(e) == "Series"]
    periods = []
    for o in obs:
        period = o.get("TIME_PERIOD")
        if period is None:
            for c in o:
                if _local(c) in ("ObsDimension", "Time"):
                    period = c.get("value") or (c.text or "").strip()
        periods.append(period)
    keys = []
    for s in series:
        sk = [c for c in s if _local(c) == "SeriesKey"]
        if sk:
            keys.append(tuple((v.get("id") or v.get("concept"), v.get("value")) for v in sk[0]))
        else:
            keys.append(tuple((k, v) for k, v in s.attrib.items() if not k.startswith("{")))
    return {"obs": len(obs), "series": len(series), "periods": periods, "keys": keys}


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_counts_dimensions_and_periods_match_the_document(path: Path) -> None:
    want = expected(path)
    with path.open("rb") as fh:
        stream = parse_sdmx(fh)
        got = list(stream)
    assert stream.observation_count == len(got) == want["obs"]
    assert stream.series_count == want["series"]
    assert [o.period for o in got] == want["periods"]
    # every observation carries the key of a series of the document
    if want["keys"]:
        assert {o.series_key for o in got} <= set(want["keys"])
    assert all(o.period for o in got)


def _by_name(name: str) -> Path:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"{name} not in {SAMPLES}")
    return path


class TestKnownValues:
    def test_ecb_usd_monthly_generic(self) -> None:
        obs = list(parse_sdmx(_by_name("ecb_exr_usd_monthly_generic_21.xml").read_bytes()))
        assert len(obs) == 252
        assert obs[0].key_string == "M.USD.EUR.SP00.A"
        assert (obs[0].period, obs[0].value) == ("1999-01", "1.16078")
        assert (obs[-1].period, obs[-1].value) == ("2019-12", "1.111345")
        assert obs[0].attributes["OBS_STATUS"] == "A"
        assert obs[0].attributes["TITLE"] == "US dollar/Euro"  # series attribute carried

    def test_generic_and_structure_specific_twins_agree(self) -> None:
        dims = ("FREQ", "CURRENCY", "CURRENCY_DENOM", "EXR_TYPE", "EXR_VAR")
        g = list(parse_sdmx(_by_name("sdmx21_sample_ecb_exr_sg_ts_gf_generic.xml").read_bytes()))
        s = list(
            parse_sdmx(
                _by_name("sdmx21_sample_ecb_exr_sg_ts_gf_ss.xml").read_bytes(), dimensions=dims
            )
        )
        assert [(o.series_key, o.period, o.value) for o in g] == [
            (o.series_key, o.period, o.value) for o in s
        ]
        assert g[3].key_string == "M.GBP.EUR.SP00.E" and g[3].value == "0.82363"
        # sibling-group attribute attached to its series in both forms
        assert (
            g[0].attributes["TITLE"]
            == s[0].attributes["TITLE"]
            == ("ECB reference exchange rate, Swiss franc/Euro")
        )
        assert s[0].attributes["DECIMALS"] == "4"

    def test_ameco_structure_specific(self) -> None:
        stream = parse_sdmx(
            _by_name("ecb_ame_bel_ovgd_ss_21.xml").open("rb"),
            dimensions=(
                "FREQ",
                "AME_REF_AREA",
                "AME_TRANSFORMATION",
                "AME_AGG_METHOD",
                "AME_UNIT",
                "AME_REFERENCE",
                "AME_ITEM",
            ),
        )
        obs = list(stream)
        assert len(obs) == 57 and stream.series_count == 1
        assert obs[0].key_string == "A.BEL.1.0.0.0.OVGD"
        assert (obs[0].period, obs[0].value) == ("1960", "92.0142")
        assert (obs[-1].period, obs[-1].value) == ("2016", "386.5655")
        assert stream.header.sender == "ECB"

    def test_footer_only_message_has_no_data(self) -> None:
        stream = parse_sdmx(_by_name("estat_apro_mk_pobta_footer413_generic_21.xml").read_bytes())
        assert list(stream) == []
        assert stream.dataset_count == 0
        assert stream.footer[0][0] == "413"

    def test_sdmx_20_compact(self) -> None:
        stream = parse_sdmx(
            _by_name("sdmx20_sample_bis_joint_debt_compact_20.xml").read_bytes(),
            dimensions=("FREQ", "COLLECTION", "VIS_CTY", "JD_TYPE", "JD_CATEGORY"),
        )
        obs = list(stream)
        assert (stream.series_count, len(obs), stream.group_count) == (4, 26, 2)
        assert obs[0].key_string == "M.B.MX.P.A" and obs[0].value == "3.14"
        assert obs[0].attributes["BIS_UNIT"] == "USD"  # from its SiblingGroup
        assert obs[0].attributes["TIME_FORMAT"] == "P1M"

    def test_insee_non_ascii_labels(self) -> None:
        obs = list(parse_sdmx(_by_name("insee_cna2010_conso_a17_generic_21.xml").read_bytes()))
        assert [(o.period, o.value) for o in obs] == [("2014", "89.9"), ("2013", "92.7")]
        assert "Dépense" in obs[0].attributes["TITLE"]
