"""mhub validate judges files as the hub does: every shipped example, strays, floods."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hub.cli import main
from hub.config import PROJECT_ROOT
from tests.support.examples import EXAMPLES, INVALID, VALID, expected_rule

BC = (EXAMPLES / "valid" / "interior1-BorderCrossing.xml").read_text(encoding="utf-8")
TYPO = (EXAMPLES / "invalid" / "interior1-BorderCrossing--schema.unknown-record.xml")
# Output of a flooded record must stay far below the flood itself (2.2 MB of input).
MAX_FLOOD_OUTPUT = 1_000_000


def _body(text: str) -> str:
    return text.split("?>", 1)[1].split("-->", 1)[-1] if "-->" in text else text.split("?>", 1)[1]


@pytest.mark.parametrize("path", VALID + INVALID, ids=lambda p: p.name)
def test_every_example_through_the_cli(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["validate", str(path)])
    out = capsys.readouterr().out
    if path in VALID:
        assert (rc, out) == (0, "")
        return
    rule = expected_rule(path)
    assert rc == 1 and f": {rule} at " in out, out
    assert main(["validate", "--json", str(path)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["invalid"] == report["records"] == 1
    assert rule in [f["rule"] for f in report["results"][0]["findings"]]


def test_the_installed_entry_point_agrees() -> None:
    """The same judgement through a real process: exit codes and the named rule."""
    files = [str(EXAMPLES / "valid" / "interior1-BorderCrossing.xml"), str(TYPO)]
    proc = subprocess.run([sys.executable, "-m", "hub.cli", "validate", *files],
                          capture_output=True, text=True, cwd=PROJECT_ROOT, check=False)
    assert proc.returncode == 1
    assert "schema.unknown-record" in proc.stdout and "1 valid, 1 invalid" in proc.stderr


class TestUnknownRecords:
    def test_misspelled_root_alone(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["validate", str(TYPO)]) == 1
        out, err = capsys.readouterr()
        assert "schema.unknown-record" in out and "1 record(s) in 1 file(s): 0 valid" in err

    @pytest.mark.parametrize("wrapper", ["RecordPage", "Batch"])
    def test_misspelled_root_beside_a_good_record(
        self, tmp_path: Path, wrapper: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        page = tmp_path / "page.xml"
        page.write_text(f"<{wrapper}>{_body(BC)}{_body(TYPO.read_text(encoding='utf-8'))}"
                        f"</{wrapper}>", encoding="utf-8")
        assert main(["validate", str(page)]) == 1
        out, err = capsys.readouterr()
        assert "schema.unknown-record" in out and "BorderCrosing" in out
        assert "2 record(s) in 1 file(s): 1 valid, 1 invalid" in err

    def test_unknown_namespace_inside_a_page(self, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
        page = tmp_path / "page.xml"
        page.write_text("<RecordPage>" + _body(BC).replace("interior:1", "interior:3")
                        + "</RecordPage>", encoding="utf-8")
        assert main(["validate", str(page)]) == 1
        assert "schema.unknown-namespace" in capsys.readouterr().out


@pytest.fixture(scope="module")
def flood(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One 2.2 MB record in the hub's namespace with 200,000 attributes."""
    attrs = "".join(f' a{n}="x"' for n in range(200_000))
    path = tmp_path_factory.mktemp("flood") / "flood.xml"
    path.write_text(BC.replace(" recordId=", attrs + " recordId=", 1), encoding="utf-8")
    return path


class TestFlood:
    @pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
    def test_200k_attributes_rejected_with_small_output(
        self, flood: Path, as_json: bool, capsys: pytest.CaptureFixture[str]
    ) -> None:
        started = time.monotonic()
        rc = main(["validate", *(["--json"] if as_json else []), str(flood)])
        elapsed = time.monotonic() - started
        out, err = capsys.readouterr()
        assert rc == 1
        assert len(out.encode()) + len(err.encode()) < MAX_FLOOD_OUTPUT
        assert "xml.too-many-attributes" in out
        assert elapsed < 30  # loose: the bound that matters is one finding, not 200,000

    def test_findings_per_record_are_capped_in_the_json_report(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = tmp_path / "many.xml"
        attrs = "".join(f' a{n}="x"' for n in range(250))
        path.write_text(BC.replace(" recordId=", attrs + " recordId=", 1), encoding="utf-8")
        assert main(["validate", "--json", str(path)]) == 1
        (result,) = json.loads(capsys.readouterr().out)["results"]
        assert len(result["findings"]) == 101
        assert result["findings"][-1]["rule"] == "findings.truncated"


class TestSdmxAndParseErrors:
    def test_sdmx_20_and_21_are_treated_alike(self, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
        v21 = tmp_path / "v21.xml"
        v21.write_text('<m:GenericData xmlns:m="http://www.sdmx.org/resources/sdmxml/schemas/'
                       'v2_1/message"/>', encoding="utf-8")
        v20 = tmp_path / "v20.xml"
        v20.write_text('<CompactData xmlns="http://www.SDMX.org/resources/SDMXML/schemas/'
                       'v2_0/message"/>', encoding="utf-8")
        assert main(["validate", str(v21), str(v20)]) == 1
        out = capsys.readouterr().out
        assert out.count("schema.sdmx-validated-elsewhere") == 2
        assert "schema.unknown-namespace" not in out

    def test_parse_failure_names_line_and_column(self, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
        bad = tmp_path / "bad.xml"
        bad.write_text('<?xml version="1.0"?>\n<RecordPage>\n  <x></y>\n</RecordPage>\n',
                       encoding="utf-8")
        assert main(["validate", str(bad)]) == 1
        out = capsys.readouterr().out
        # path:line:column first, as compilers print it
        assert f"{bad}:3:10: xml.malformed" in out and "line 3, column 10" in out
