"""gateway.toml loading (unknown keys rejected) and the routing/minimisation rules."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest
from lxml import etree

from hub.deliver.consumer.model import HubEvent
from hub.deliver.gateway.config import load_config, parse_config
from hub.deliver.gateway.rules import minimise, selects
from hub.errors import ConfigError
from tests.support import events as ev
from tests.support.partner_client import write_config

E = "{urn:kz:mhub:event:1}"


def _data(pki, tmp_path: Path) -> dict:
    return tomllib.loads(write_config(tmp_path, pki).read_text())


class TestConfig:
    def test_loads_with_defaults(self, pki, tmp_path):
        cfg = load_config(write_config(tmp_path, pki))
        kgz = cfg.partner("KGZ")
        assert kgz.citizenships == ("KGZ",)  # own citizens by default
        assert cfg.families == ("border", "enforcement")
        assert cfg.trust_dir == pki.trust_dir

    @pytest.mark.parametrize("where", ["top", "server", "partner"])
    def test_unknown_keys_are_rejected(self, pki, tmp_path, where):
        data = _data(pki, tmp_path)
        target = {"top": data, "server": data["server"], "partner": data["partners"]["KGZ"]}[where]
        target["visibilty_timeout"] = 5  # a typo must not silently fall back to a default
        with pytest.raises(ConfigError, match="unknown"):
            parse_config(data, root=tmp_path)

    @pytest.mark.parametrize(
        ("key", "value", "message"),
        [
            ("families", ["border", "tourism"], "families"),
            ("fields", ["Provenance/RawDigest"], "Person/ or Body/"),
        ],
    )
    def test_bad_partner_values_are_rejected(self, pki, tmp_path, key, value, message):
        data = _data(pki, tmp_path)
        data["partners"]["KGZ"][key] = value
        with pytest.raises(ConfigError, match=message):
            parse_config(data, root=tmp_path)

    def test_shipped_example_is_valid(self):
        from hub.config import PROJECT_ROOT

        cfg = load_config(PROJECT_ROOT / "infra" / "gateway.toml")
        assert {p.code for p in cfg.partners} >= {"KGZ", "UZB"}


def _event(person=ev.PEOPLE[0], family="border") -> HubEvent:
    el = ev.border_event(person, 1)
    return HubEvent(
        event_id=ev.event_id(el),
        type="border.crossing",
        family=family,
        version=1,
        person_id=person.person_id,
        occurred_at="",
        source="interior.border",
        body=el.find(f"{E}Body")[0],
        element=el,
        raw_xml=b"",
        verified="signature",
        citizenships=(person.citizenship,),
    )


class TestRules:
    def test_selects_by_family_citizenship_and_type(self, pki, tmp_path):
        cfg = load_config(write_config(tmp_path, pki))
        kgz, uzb = cfg.partner("KGZ"), cfg.partner("UZB")
        assert selects(kgz, _event()) and not selects(uzb, _event())
        assert selects(kgz, _event(family="enforcement"))
        assert not selects(uzb, _event(ev.PEOPLE[2], family="enforcement"))
        assert not selects(kgz, _event(ev.PEOPLE[3]))  # a Tajik citizen: nobody's
        assert not selects(dataclasses.replace(kgz, types=("deportation",)), _event())

    def test_minimise_keeps_only_allowed_paths(self):
        el = ev.border_event(ev.PEOPLE[0], 1)
        out = minimise(el, ("Person/Name/Surname", "Body/*/Direction"))
        person = out.find(f"{E}Person")
        assert [etree.QName(c).localname for c in person] == ["Name"]
        assert [etree.QName(c).localname for c in person.find(f"{E}Name")] == ["Surname"]
        assert person.find(f"{E}Name").get("script") == "Latn"  # attributes on the way stay
        record = out.find(f"{E}Body")[0]
        assert [etree.QName(c).localname for c in record] == ["Direction"]
        assert out.findtext(f"{E}EventId") == ev.event_id(el)
        assert el.find(f"{E}Person/{E}Identifier") is not None, "the input is left untouched"
