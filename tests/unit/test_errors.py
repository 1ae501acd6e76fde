"""map_errors: the one place connector and security errors become the hub's."""

from __future__ import annotations

import pytest

import connectors.errors as ce
import security.errors as se
from hub import errors as he
from hub.errors import map_errors
from security.safe_xml import parse_untrusted


class TestConnectorErrors:
    def test_unavailable_keeps_source_page_and_message(self) -> None:
        original = ce.SourceUnavailable("timed out", source="interior", page="p=3")
        with pytest.raises(he.SourceUnavailable) as info, map_errors():
            raise original
        assert (info.value.source, info.value.page) == ("interior", "p=3")
        assert str(info.value) == str(original) == "interior: timed out (page p=3)"
        assert info.value.__cause__ is original

    def test_rejected(self) -> None:
        with pytest.raises(he.SourceRejected, match="labour: HTTP 404"), map_errors():
            raise ce.SourceRejected("HTTP 404", source="labour")

    def test_malformed_document_keeps_its_rule(self) -> None:
        with pytest.raises(he.DocumentError) as info, map_errors():
            raise ce.MalformedDocument("not well-formed", rule="xml.malformed")
        assert info.value.rule == "xml.malformed"
        assert not isinstance(info.value, he.HostileXmlError)

    def test_config(self) -> None:
        with pytest.raises(he.ConfigError, match="unknown options"), map_errors():
            raise ce.ConnectorConfigError("source x: unknown options ['flo']")


class TestSecurityErrors:
    def test_hostile_xml_from_the_real_parser(self) -> None:
        with pytest.raises(he.HostileXmlError) as info, map_errors():
            parse_untrusted(b'<!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>')
        assert info.value.rule == "xml.dtd"
        assert isinstance(info.value.__cause__, se.HostileXmlError)

    def test_trust_error_keeps_rule_and_context(self) -> None:
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
