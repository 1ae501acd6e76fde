"""mhub's errors: one line on stderr, a non-zero exit, no traceback (through a real process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hub.config import load_settings
from hub.errors import ConfigError
from hub.sources import load_each

ROOT = Path(__file__).resolve().parents[3]
# A process that starts Python and imports the CLI needs a few seconds on a busy 2-core box.
CLI_TIMEOUT_S = 30


def mhub(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "KAFKA_"))}
    clean["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        cwd=ROOT,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


class TestUnknownCommand:
    def test_named_with_a_suggestion(self) -> None:
        result = mhub("statuss")
        assert result.returncode == 2
        assert one_line(result) == (
            "mhub: unknown command 'statuss' (did you mean 'status'?); see `mhub --help`"
        )
        assert result.stdout == ""

    def test_without_a_close_match(self) -> None:
        result = mhub("frobnicate")
        assert result.returncode == 2
        assert "unknown command 'frobnicate'; see" in one_line(result)


class TestBadSetting:
    def test_unknown_hub_name_suggests_the_known_one(self) -> None:
        result = mhub("status", env={"HUB_TOPIC_PREFX": "x."})
        assert result.returncode == 1
        assert one_line(result) == (
            "mhub status: unknown setting HUB_TOPIC_PREFX (did you mean HUB_TOPIC_PREFIX?); "
            "unset or rename it"
        )

    def test_not_a_number(self) -> None:
        result = mhub("sources", "list", env={"HUB_INTAKE_PARTITIONS": "four"})
        assert result.returncode == 1
        assert one_line(result) == (
            "mhub sources: HUB_INTAKE_PARTITIONS='four': expected a whole number >= 1"
        )

    def test_debug_shows_the_traceback(self) -> None:
        result = mhub("--debug", "status", env={"HUB_INTAKE_PARTITIONS": "four"})
        assert result.returncode == 1
        assert "Traceback" in result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith("mhub status: ")

    def test_sasl_without_credentials(self) -> None:
        with pytest.raises(ConfigError, match="needs KAFKA_SASL_USERNAME"):
            load_settings({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISM": "PLAIN"})


class TestKafkaSecurity:
    def test_every_client_gets_sasl_ssl(self) -> None:
        from hub.kafka.clients import security_config

        settings = load_settings({
            "KAFKA_SECURITY_PROTOCOL": "sasl_ssl",
            "KAFKA_SASL_MECHANISM": "scram-sha-512",
            "KAFKA_SASL_USERNAME": "hub",
            "KAFKA_SASL_PASSWORD": "secret",
            "KAFKA_SSL_CAFILE": "/etc/hub/kafka-ca.pem",
        })
        assert security_config(settings) == {
            "security_protocol": "SASL_SSL",
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": "hub",
            "sasl_plain_password": "secret",
            "ssl_cafile": "/etc/hub/kafka-ca.pem",
        }
        assert "secret" not in repr(settings)

    def test_plaintext_by_default(self) -> None:
        from hub.kafka.clients import security_config

        assert security_config(load_settings({})) == {"security_protocol": "PLAINTEXT"}


class TestVersionAndHelp:
    def test_version(self) -> None:
        result = mhub("--version")
        assert result.returncode == 0
        assert result.stdout.startswith("mhub ")

    @pytest.mark.parametrize("command", ["kafka", "sources", "dlq", "events", "status"])
    def test_every_command_has_help(self, command: str) -> None:
        result = mhub(command, "--help")
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"usage: mhub {command}")


BAD_SOURCES = """
[[source]]
name = "good"
family = "interior"
endpoint = "https://mvd.example.kz/api"
owner = "o"

[[source]]
name = "bad"
family = "statistics"
endpoint = "https://stat.example.kz/sdmx"
owner = "o"
schedule = "every hour"
options = { flw = "DF_MIGRATION" }
"""


class TestSourcesCheck:
    def test_each_bad_source_named_and_the_good_kept(self, tmp_path: Path) -> None:
        path = tmp_path / "sources.toml"
        path.write_text(BAD_SOURCES)
        good, problems = load_each(path)
        assert [s.name for s in good] == ["good"]
        [problem] = problems
        assert problem.name == "bad"
        assert "unknown options ['flw']" in problem.message and "flw -> flow" in problem.message
        assert "schedule 'every hour' is not a cron expression" in problem.message

    def test_check_exits_one(self, tmp_path: Path) -> None:
        path = tmp_path / "sources.toml"
        path.write_text(BAD_SOURCES)
        result = mhub("sources", "check", "--file", str(path))
        assert result.returncode == 1
        assert "ok   good" in result.stdout
        assert one_line(result).startswith("BAD  source bad: ")

    def test_the_shipped_sources_are_good(self) -> None:
        result = mhub("sources", "check")
        assert result.returncode == 0, result.stderr
