"""A bad ``[[source]]`` table fails alone: the other sources keep their DAGs."""

from __future__ import annotations

from hub.airflow.environment import DAGS_FOLDER

BAD_TABLES = """
[[source]]
name = "interior_typo"
family = "interior"
endpoint = "http://127.0.0.1:18700/interior"
owner = "someone"
schedule = "*/15 * * *"

[[source]]
name = "partner_typo"
family = "partner"
endpoint = "127.0.0.1:18700/partner/ARM"
owner = "someone"
options = { stat = "ARM" }
"""


class TestBadSource:
    def test_bad_sources_are_import_errors_and_the_others_load(
        self, test_sources, write_sources, tmp_path, monkeypatch
    ) -> None:
        from airflow.dag_processing.dagbag import DagBag

        path = tmp_path / "sources-with-bad.toml"
        write_sources(path, test_sources)
        path.write_text(path.read_text() + BAD_TABLES)
        monkeypatch.setenv("HUB_SOURCES_FILE", str(path))
        bag = DagBag(dag_folder=str(DAGS_FOLDER / "hub_sources.py"))

        source_dags = {d for d in bag.dag_ids if d.startswith("source__")}
        assert source_dags == {s.dag_id for s in test_sources}
        [error] = bag.import_errors.values()
        assert "source interior_typo: schedule '*/15 * * *'" in error
        assert "source partner_typo: " in error
        assert "unknown options ['stat']" in error and "stat -> state" in error
        assert "endpoint '127.0.0.1:18700/partner/ARM' is not an http(s) URL" in error
        assert "source__invalid_configuration" not in bag.dag_ids
