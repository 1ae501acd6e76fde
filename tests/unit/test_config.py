"""Settings: the only reader of the environment; defaults, overrides, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.config import PROJECT_ROOT, Settings, load_settings
from hub.errors import ConfigError


class TestDefaults:
    def test_defaults_point_at_the_local_broker(self) -> None:
        s = load_settings({})
        assert s.kafka_bootstrap == "127.0.0.1:19092"
        assert not s.external_kafka

    def test_external_cluster_is_used_as_is(self) -> None:
        s = load_settings({"KAFKA_BOOTSTRAP_SERVERS": "k1:9092,k2:9092"})
        assert s.external_kafka and s.kafka_bootstrap == "k1:9092,k2:9092"

    def test_new_fields_default_to_off_or_local(self) -> None:
        s = load_settings({})
        assert s.sources_file == PROJECT_ROOT / "sources.toml"
        assert (s.registry_url, s.crash_at, s.airflow_api_url) == ("", "", "")
        assert (s.key_passphrase, s.pseudonym_key, s.pkcs11_module, s.pkcs11_pin) == ("",) * 4


class TestOverrides:
    def test_every_variable_reaches_its_field(self, tmp_path: Path) -> None:
        key = "ab" * 32
        s = load_settings({
            "HUB_SOURCES_FILE": str(tmp_path / "s.toml"),
            "HUB_REGISTRY_URL": "postgresql://db/registry",
            "HUB_CRASH_AT": "stage2.before-commit:3",
            "AIRFLOW__API__BASE_URL": "http://airflow:8080",
            "HUB_KEY_PASSPHRASE": "correct horse",
            "HUB_PSEUDONYM_KEY": key,
            "HUB_PKCS11_MODULE": "/usr/lib/vendor.so",
            "HUB_PKCS11_PIN": "4321",
        })
        assert s.sources_file == tmp_path / "s.toml"
        assert s.registry_url == "postgresql://db/registry"
        assert s.crash_at == "stage2.before-commit:3"
        assert s.airflow_api_url == "http://airflow:8080"
        assert s.key_passphrase == "correct horse"
        assert s.pseudonym_key == key
        assert (s.pkcs11_module, s.pkcs11_pin) == ("/usr/lib/vendor.so", "4321")

    def test_other_tools_variables_are_ignored(self) -> None:
        s = load_settings({"AIRFLOW__CORE__PARALLELISM": "8", "PATH": "/bin"})
        assert s == Settings()


class TestRefusals:
    def test_unknown_hub_variable_is_rejected(self) -> None:
        with pytest.raises(ConfigError, match="unknown setting HUB_INTAKE_PARTITONS"):
            load_settings({"HUB_INTAKE_PARTITONS": "4"})

    @pytest.mark.parametrize("name", ["HUB_INTAKE_PARTITIONS", "HUB_REPLICATION_FACTOR",
                                      "HUB_RAW_RETENTION_DAYS"])
    def test_bad_int_names_the_variable_and_what_it_expects(self, name: str) -> None:
        with pytest.raises(ConfigError) as info:
            load_settings({name: "four"})
        assert str(info.value) == f"{name}='four': expected a whole number" + (
            " >= 1" if name == "HUB_INTAKE_PARTITIONS" else "")

    def test_partitions_below_one(self) -> None:
        with pytest.raises(ConfigError, match="HUB_INTAKE_PARTITIONS must be at least 1"):
            load_settings({"HUB_INTAKE_PARTITIONS": "0"})

    @pytest.mark.parametrize("name", ["HUB_KEEP_BROKER", "HUB_TEST_WORKERS"])
    def test_the_test_suites_switches_are_not_hub_settings(self, name: str) -> None:
        """They are MHUB_TEST_… (tests/support/environment.py): a HUB_ name fails every
        command, so `HUB_TEST_WORKERS=0 make test` failed every test."""
        with pytest.raises(ConfigError, match=f"unknown setting {name}"):
            load_settings({name: "1"})

    @pytest.mark.parametrize(
        "spec",
        [":3", "stage2.before-commit:0", "stage2.before-commit:x", "stage2.before-commit:1:pause"],
    )
    def test_bad_crash_spec(self, spec: str) -> None:
        with pytest.raises(ConfigError, match=r"HUB_CRASH_AT=.*expected NAME or NAME:N"):
            load_settings({"HUB_CRASH_AT": spec})

    def test_bad_secret_is_named_but_never_shown(self) -> None:
        with pytest.raises(ConfigError) as info:
            load_settings({"HUB_PSEUDONYM_KEY": "not-hex-secret"})
        assert str(info.value) == "HUB_PSEUDONYM_KEY=<hidden>: expected hex digits"
        assert info.value.__cause__ is None and info.value.__suppress_context__

    def test_secrets_stay_out_of_repr(self) -> None:
        s = load_settings({"HUB_KEY_PASSPHRASE": "pw-xyz", "HUB_PKCS11_PIN": "9876",
                           "HUB_PSEUDONYM_KEY": "cd" * 32})
        assert "pw-xyz" not in repr(s) and "9876" not in repr(s) and "cd" * 32 not in repr(s)


class TestFaultSettings:
    def test_stall_spec_and_transaction_timeout_for_the_fault_tests(self) -> None:
        s = load_settings(
            {"HUB_CRASH_AT": "stage1.before-commit:2:stop", "HUB_TRANSACTION_TIMEOUT_MS": "3000"}
        )
        assert (s.crash_at, s.transaction_timeout_ms) == ("stage1.before-commit:2:stop", 3000)
        assert load_settings({}).transaction_timeout_ms == 60_000
