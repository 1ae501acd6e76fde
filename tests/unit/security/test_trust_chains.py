"""A partner's chain is built once and remembered only for the times it holds."""

from __future__ import annotations

import datetime as dt

import pytest

from security.errors import VerificationError
from security.pki import issue_cert, new_key
from security.trust import TrustStore

UTC = dt.UTC
START = dt.datetime(2019, 1, 1, tzinfo=UTC)


@pytest.fixture
def short_lived_ca(trust: TrustStore):
    """A partner CA valid for one year that issued a leaf valid for two."""
    ca_key = new_key()
    ca = issue_cert(ca_key.public_key(), subject_cn="ABC CA", org="ABC", usage="ca",
                    issuer_key=ca_key, not_before=START, not_after=START + dt.timedelta(days=365))
    leaf = issue_cert(new_key().public_key(), subject_cn="ABC signing", org="ABC",
                      usage="signing", issuer_cert=ca, issuer_key=ca_key, not_before=START,
                      not_after=START + dt.timedelta(days=730))
    return TrustStore(trust.hub_cas, trust.hub_certs, {"ABC": (ca,)}), leaf


def test_a_chain_checked_once_answers_later_checks_inside_its_window(short_lived_ca) -> None:
    store, leaf = short_lived_ca
    kid = store.check_signer(leaf, [], party="ABC", at=START + dt.timedelta(days=10))
    assert len(store._chained) == 1
    assert store.check_signer(leaf, [], party="ABC", at=START + dt.timedelta(days=300)) == kid
    assert len(store._chained) == 1


def test_a_remembered_chain_does_not_outlive_its_ca(short_lived_ca) -> None:
    """The leaf is still valid in the second year, its CA is not: the chain must be
    built again at that time and refused, not answered from the first year's success."""
    store, leaf = short_lived_ca
    store.check_signer(leaf, [], party="ABC", at=START + dt.timedelta(days=10))
    with pytest.raises(VerificationError) as info:
        store.check_signer(leaf, [], party="ABC", at=START + dt.timedelta(days=500))
    assert info.value.rule == "sig.untrusted-ca"


def test_a_refusal_is_not_remembered(short_lived_ca, trust: TrustStore) -> None:
    """A leaf of ABC's CA checked as another partner's fails, and nothing is kept."""
    store, leaf = short_lived_ca
    both = TrustStore(trust.hub_cas, trust.hub_certs,
                      {"ABC": store.partner_cas["ABC"], "UZB": trust.partner_cas["UZB"]})
    with pytest.raises(VerificationError) as info:
        both.check_signer(leaf, [], party="UZB", at=START + dt.timedelta(days=10))
    assert info.value.rule == "sig.wrong-partner"
    assert list(both._chained) == [("ABC", leaf, ())]
