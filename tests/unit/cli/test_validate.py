"""mhub validate and mhub schema-docs, through the real dispatcher."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub.cli import main
from hub.cli.schema_docs import write_docs
from hub.contract import SCHEMAS_DIR
from hub.intake.validate.rules import RULES
from tests.support.examples import EXAMPLES

VALID_BC = EXAMPLES / "valid" / "interior1-BorderCrossing.xml"
BAD_KATO = EXAMPLES / "invalid" / "interior1-StayRegistration--kato.unknown.xml"


def _page(tmp_path: Path) -> Path:
    parts = [p.read_text(encoding="utf-8").split("?>", 1)[1] for p in (VALID_BC, BAD_KATO)]
    page = tmp_path / "page.xml"
    page.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<Batch>'
                    + "".join(parts) + "</Batch>\n", encoding="utf-8")
    return page


class TestValidateCommand:
    def test_valid_files_exit_zero(self, capsys: pytest.CaptureFixture[str]) -> None:
        files = [str(p) for p in sorted((EXAMPLES / "valid").glob("*.xml"))]
        assert main(["validate", *files]) == 0
        assert f"{len(files)} valid, 0 invalid" in capsys.readouterr().err

    def test_errors_name_file_line_path_and_rule(self, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
        page = _page(tmp_path)
        assert main(["validate", str(page)]) == 1
        out, err = capsys.readouterr()
        line = next(n for n, text in enumerate(page.read_text().splitlines(), 1)
                    if "991110000" in text)
        assert f"{page}:{line}: kato.unknown at " in out
        assert "/par:" not in out and "int:StayRegistration/int:Kato" in out
        assert "2 record(s) in 1 file(s): 1 valid, 1 invalid" in err

    def test_json_output(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        hostile = EXAMPLES / "invalid" / "billion-laughs--xml.dtd.xml"
        assert main(["validate", "--json", str(_page(tmp_path)), str(hostile)]) == 1
        report = json.loads(capsys.readouterr().out)
        assert (report["records"], report["invalid"]) == (3, 2)
        rules = [[f["rule"] for f in r["findings"]] for r in report["results"]]
        assert rules == [[], ["kato.unknown"], ["xml.dtd"]]
        assert report["results"][1]["record_id"] == "MVD-SR-000101"

    def test_unreadable_file(self, tmp_path: Path) -> None:
        assert main(["validate", str(tmp_path / "missing.xml")]) == 2


class TestSchemaDocs:
    def test_pages_cover_every_record_type_and_rule(self, tmp_path: Path) -> None:
        assert main(["schema-docs", "--out", str(tmp_path)]) == 0
        pages = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.glob("*.md")}
        assert {"interior-v1.md", "interior-v2.md", "labour-v1.md", "partner-v1.md",
                "event-v1.md", "common-v1.md", "statistics-v1.md", "rules.md"} <= set(pages)
        for name in ("BorderCrossing", "StayRegistration", "RefugeeStatusDecision"):
            assert f"## {name}" in pages["interior-v1.md"]
        assert "VehiclePlate" in pages["interior-v2.md"]
        assert "VehiclePlate" not in pages["interior-v1.md"]
        assert all(f"`{rule}`" in pages["rules.md"] for rule in RULES)
        assert "`kato.unknown`" in pages["labour-v1.md"]

    def test_committed_docs_are_current(self, tmp_path: Path) -> None:
        write_docs(tmp_path)
        for page in tmp_path.glob("*.md"):
            committed = SCHEMAS_DIR / "docs" / page.name
            assert committed.read_text(encoding="utf-8") == page.read_text(encoding="utf-8"), (
                f"schemas/docs/{page.name} is stale: run mhub schema-docs")
