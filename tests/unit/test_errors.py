"""The error story: three trees that share no name, and the one table between them.

``connectors`` and ``security`` keep their own hierarchies; the hub translates their
errors into its own (``hub.errors.hub_error`` / ``map_errors``) only at the edges that
call them, keeping the rule and context and the original as ``__cause__``.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections import defaultdict

import pytest

import connectors.errors as ce
import security.errors as se
from hub import errors as he
from hub.cli import describe
from hub.errors import map_errors
from security.safe_xml import parse_untrusted


def _exception_classes(package: str) -> dict[str, str]:
    """Name -> defining module of every exception class defined in the package."""
    root = importlib.import_module(package)
    found: dict[str, str] = {}
    for info in pkgutil.walk_packages(root.__path__, f"{package}."):
        if info.name.endswith(".__main__"):  # runs the command line when imported
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (inspect.isclass(obj) and issubclass(obj, BaseException)
                    and obj.__module__ == info.name):
                found[name] = info.name
    return found


def test_no_exception_name_is_defined_in_two_trees() -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for package in ("hub", "connectors", "security"):
        for name, module in _exception_classes(package).items():
            owners[name].add(module)
    shared = {name: sorted(m) for name, m in owners.items()
              if len({m.split(".")[0] for m in m}) > 1}
    assert shared == {}


class TestConnectorErrors:
    def test_malformed_document_keeps_its_rule(self) -> None:
        with pytest.raises(he.DocumentError) as info, map_errors():
            raise ce.MalformedDocument("not well-formed", rule="xml.malformed")
        assert info.value.rule == "xml.malformed"
        assert not isinstance(info.value, he.HostileXmlError)

    def test_config(self) -> None:
        with pytest.raises(he.ConfigError, match="unknown options"), map_errors():
            raise ce.ConnectorConfigError("source x: unknown options ['flo']")

    def test_a_source_failure_keeps_its_name_and_message(self) -> None:
        original = ce.SourceUnavailable("timed out", source="interior", page="p=3")
        with pytest.raises(he.HubError) as info, map_errors():
            raise original
        assert str(info.value) == "SourceUnavailable: interior: timed out (page p=3)"
        assert info.value.__cause__ is original


class TestSecurityErrors:
    def test_unsafe_xml_from_the_real_parser(self) -> None:
        with pytest.raises(he.HostileXmlError) as info, map_errors():
            parse_untrusted(b'<!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>')
        assert info.value.rule == "xml.dtd"
        assert isinstance(info.value.__cause__, se.UnsafeXmlError)

    def test_the_place_of_a_refusal_is_kept(self) -> None:
        with pytest.raises(he.HostileXmlError) as info, map_errors():
            parse_untrusted(b"<r>\n  <a></b>\n</r>")
        assert (info.value.rule, info.value.line) == ("xml.malformed", 2)
        assert info.value.column is not None

    def test_verification_error_keeps_rule_and_context(self) -> None:
        with pytest.raises(he.TrustError) as info, map_errors():
            raise se.ProofError("proof does not hold", rule="proof.invalid", batch_id="b-1",
                                position=7, partner="UZB")
        err = info.value
        assert (err.rule, err.batch_id, err.position, err.partner) == (
            "proof.invalid", "b-1", 7, "UZB")
        assert isinstance(err.__cause__, se.ProofError)

    @pytest.mark.parametrize("exc", [se.SecurityConfigError("curve not allowed"),
                                     se.KeyConfigError("no private key at k.pem")])
    def test_config(self, exc: se.SecurityError) -> None:
        with pytest.raises(he.ConfigError), map_errors():
            raise exc

    def test_anything_else_of_theirs_is_still_a_hub_error(self) -> None:
        with pytest.raises(he.HubError, match="MerkleUsageError: finish"), map_errors():
            raise se.MerkleUsageError("finish() called twice")


class TestPassThrough:
    def test_hub_errors_and_others_pass_unchanged(self) -> None:
        own = he.StateError("index corrupt")
        with pytest.raises(he.StateError) as info, map_errors():
            raise own
        assert info.value is own
        with pytest.raises(KeyError), map_errors():
            raise KeyError("not ours")

    def test_works_as_a_decorator(self) -> None:
        @map_errors()
        def verify() -> None:
            raise se.SignatureError("document is not signed", rule="sig.missing")

        for _ in range(2):  # a fresh context each call
            with pytest.raises(he.TrustError, match="not signed"):
                verify()

    def test_the_packages_do_not_import_hub(self) -> None:
        assert not issubclass(ce.ConnectorError, he.HubError)
        assert not issubclass(se.SecurityError, he.HubError)


class TestCliEdge:
    def test_a_package_error_is_one_line_without_the_traceback_hint(self) -> None:
        line = describe(se.KeyConfigError("wrong passphrase for hub/signing/k1.pem"))
        assert line == "wrong passphrase for hub/signing/k1.pem"
        assert describe(ce.MalformedDocument("not XML", rule="xml.malformed")) == "not XML"

    def test_other_errors_name_their_type(self) -> None:
        assert describe(ValueError("bad")).startswith("ValueError: bad")
