"""``pip install .`` into a fresh virtual environment, then ``mhub`` from another directory.

The product is what the wheel holds, not what the checkout holds: the schemas must
ship as package data (``schemas``), and the development tools of ``infra/`` must
not. pip builds the project as ``pip install .`` does (an isolated build with the
build backend of ``pyproject.toml``) from a copy of the work tree, and installs it
into a new venv made without pip. The hub's third-party dependencies are not
downloaded again: a ``.pth`` file puts the project venv's site-packages on the new
venv's path (a path entry, not a site dir, so the project's own editable install there
is not activated), and ``--no-deps`` keeps pip from touching them. Every command
then runs from a temporary directory with ``PYTHONPATH`` unset, so nothing can come
from the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest

from hub.config import PROJECT_ROOT

# An isolated build fetches the backend (cached by pip after the first time) and
# takes ~5 s here; 300 s leaves room for a cold cache on a loaded 2-core machine.
BUILD_TIMEOUT_S = 300.0
# One `mhub` call imports lxml and compiles one XSD: about a second.
COMMAND_TIMEOUT_S = 60.0
# Not part of a source tree pip would build: VCS data, venvs, jars, run data, caches.
_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "var", "libs", "__pycache__", "*.egg-info", "build", "dist",
    ".pytest_cache", ".ruff_cache",
)
EXAMPLES = PROJECT_ROOT / "schemas" / "examples"
VALID = "interior1-BorderCrossing.xml"
INVALID = "interior1-StayRegistration--kato.unknown.xml"


@dataclass(frozen=True)
class Installed:
    venv: Path
    site: Path
    cwd: Path
    env: dict[str, str]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, cwd=self.cwd, env=self.env, capture_output=True, text=True,
                              timeout=COMMAND_TIMEOUT_S, check=False)

    def mhub(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(str(self.venv / "bin" / "mhub"), *args)

    def python(self, code: str) -> subprocess.CompletedProcess[str]:
        return self.run(str(self.venv / "bin" / "python"), "-c", code)


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSAFEPATH"}}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def _install(root: Path, *pip_args: str) -> Installed:
    """A copy of the work tree under ``root``, pip-installed into a fresh venv beside it."""
    src, venv, cwd = root / "src", root / "venv", root / "elsewhere"
    shutil.copytree(PROJECT_ROOT, src, ignore=_NOT_SOURCE, symlinks=True)
    cwd.mkdir()
    env = _clean_env()
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)],
                   check=True, env=env, timeout=COMMAND_TIMEOUT_S)
    python = venv / "bin" / "python"
    site = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True, env=env, cwd=cwd,
        timeout=COMMAND_TIMEOUT_S).stdout.strip())
    deps = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    (site / "project-dependencies.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    # --ignore-installed: the project venv on the path holds the editable install of the
    # same distribution; pip must neither skip nor uninstall it.
    build = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
         "--no-deps", "--ignore-installed", *pip_args, str(src)],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False)
    assert build.returncode == 0, build.stdout + build.stderr
    return Installed(venv, site, cwd, env)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """``pip install .``: the wheel, as a deployment gets it."""
    return _install(tmp_path_factory.mktemp("install"))


@pytest.fixture(scope="module")
def editable(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """``pip install -e .``: the checkout, as ``make setup`` installs it."""
    return _install(tmp_path_factory.mktemp("editable"), "--editable")


class TestInstalledPackage:
    def test_hub_and_its_schemas_come_from_the_new_venv(self, installed: Installed) -> None:
        out = installed.python(
            "import hub, importlib.resources as r; "
            "print(hub.__file__); print(r.files('schemas') / 'catalog.xml')")
        assert out.returncode == 0, out.stderr
        module, catalog = (Path(line) for line in out.stdout.splitlines())
        assert module.is_relative_to(installed.site)
        assert catalog.is_relative_to(installed.site) and catalog.is_file()

    def test_schemas_and_examples_ship(self, installed: Installed) -> None:
        shipped = installed.site / "schemas"
        for pattern in ("catalog.xml", "*/v*/*.xsd", "data/*.csv", "examples/*/*.xml"):
            in_checkout = sorted(p.relative_to(EXAMPLES.parent) for p in
                                 EXAMPLES.parent.glob(pattern))
            assert in_checkout, pattern
            assert sorted(p.relative_to(shipped) for p in shipped.glob(pattern)) == in_checkout

    def test_the_exchange_contract_ships(self, installed: Installed) -> None:
        """What an integrator codes against beside the events: the partner gateway's WSDL
        and XSD, batch proof and manifest, signed notice; found through the package."""
        from hub.contract import EXCHANGE_FILES

        out = installed.python(
            "from hub.contract import EXCHANGE_FILES, exchange_file, "
            "exchange_schema\n"
            "for n in EXCHANGE_FILES:\n"
            "    print(exchange_file(n)); n.endswith('.xsd') and exchange_schema(n)")
        assert out.returncode == 0, out.stderr
        paths = [Path(line) for line in out.stdout.splitlines()]
        assert [p.name for p in paths] == list(EXCHANGE_FILES)
        shipped = installed.site / "schemas" / "exchange"
        for path in paths:
            assert path.parent == shipped and path.is_file(), path
            checkout = EXAMPLES.parent / "exchange" / path.name
            assert path.read_bytes() == checkout.read_bytes(), path.name

    def test_only_the_product_packages_are_installed(self, installed: Installed) -> None:
        (dist_info,) = installed.site.glob("migration_exchange_hub-*.dist-info")
        top = {line.split("/", 1)[0] for line in (dist_info / "RECORD").read_text().splitlines()
               if not line.startswith("..")}
        assert top == {"hub", "connectors", "security", "schemas", dist_info.name}
        out = installed.python("import infra")
        assert out.returncode == 1 and "No module named 'infra'" in out.stderr

    def test_validate_a_shipped_valid_example_elsewhere(self, installed: Installed) -> None:
        shutil.copy(EXAMPLES / "valid" / VALID, installed.cwd / VALID)
        out = installed.mhub("validate", VALID)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "1 valid, 0 invalid" in out.stderr

    def test_validate_an_invalid_example_names_the_rule(self, installed: Installed) -> None:
        shutil.copy(EXAMPLES / "invalid" / INVALID, installed.cwd / INVALID)
        out = installed.mhub("validate", INVALID)
        assert out.returncode == 1, out.stdout + out.stderr
        assert "kato.unknown" in out.stdout + out.stderr

    def test_local_broker_is_not_a_product_command(self, installed: Installed) -> None:
        """The development broker is the checkout's (``make kafka-start``); the product
        only probes and prepares a cluster."""
        out = installed.mhub("kafka", "start")
        assert out.returncode == 2
        assert "invalid choice: 'start'" in out.stderr

    def test_checkout_only_commands_say_so_in_one_line(self, installed: Installed) -> None:
        out = installed.mhub("airflow-ui")
        assert out.returncode == 2
        assert out.stderr.strip().splitlines() == [
            "mhub airflow-ui: a development tool; run it from a checkout of the hub"]


class TestEditableCheckout:
    def test_infra_is_not_a_product_package_even_in_a_checkout(self, editable: Installed) -> None:
        out = editable.python("import infra")
        assert out.returncode == 1 and "No module named 'infra'" in out.stderr

    def test_mhub_finds_the_checkout_tools_beside_hub(self, editable: Installed) -> None:
        # airflow-ui imports infra.demo; the console script runs from another directory.
        out = editable.mhub("airflow-ui", "--help")
        assert out.returncode == 0, out.stderr
        assert "usage: mhub airflow-ui" in out.stdout
