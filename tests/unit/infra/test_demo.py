"""The pure parts of ``make run``: its sources, its one line per run, its reuse rule."""

from __future__ import annotations

from hub.sources import SourceConfig
from infra.airflow.local import fingerprint
from infra.airflow.runs import Run
from infra.demo import DEMO_RETRIES, DEMO_RETRY_DELAY_S, demo_sources


def _source(**kw) -> SourceConfig:
    base = {"name": "a", "family": "interior", "endpoint": "http://127.0.0.1:18700/interior",
            "owner": "o", "retries": 3, "retry_delay_s": 60}
    return SourceConfig(**(base | kw))


class TestDemoSources:
    def test_retries_are_clamped_and_endpoints_follow_the_simulators(self) -> None:
        [s] = demo_sources([_source()], "http://127.0.0.1:40000")
        assert (s.retries, s.retry_delay_s) == (DEMO_RETRIES, DEMO_RETRY_DELAY_S)
        assert s.endpoint == "http://127.0.0.1:40000/interior"

    def test_other_endpoints_and_lower_retries_are_kept(self) -> None:
        src = _source(endpoint="https://agency.example/x", retries=0, retry_delay_s=1)
        [s] = demo_sources([src], "http://127.0.0.1:40000")
        assert (s.endpoint, s.retries, s.retry_delay_s) == ("https://agency.example/x", 0, 1)


class TestRunLine:
    def test_the_note_headline_without_markdown(self) -> None:
        run = Run("source__a", "r1", "success", "**a: success** — 5 pulled\n\n| | |", 12.4)
        assert run.line() == "source__a: success in 12s — a: success — 5 pulled"

    def test_a_failed_run_without_a_note_names_its_failed_tasks(self) -> None:
        run = Run("source__a", "r1", "failed", "", 3.0, {("extract", -1): "failed"})
        assert run.line() == (
            "source__a: failed in 3s — failed tasks: extract (no note; see the task logs)"
        )


class TestFingerprint:
    def test_only_the_settings_of_the_airflow_processes_count(self) -> None:
        env = {"HUB_VAR_DIR": "/v", "AIRFLOW_HOME": "/a", "PATH": "/bin"}
        assert fingerprint(env) == fingerprint(env | {"PATH": "/usr/bin", "TERM": "x"})
        assert fingerprint(env) != fingerprint(env | {"HUB_TOPIC_PREFIX": "p."})
