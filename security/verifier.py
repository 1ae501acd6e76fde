"""Verification of enveloped XMLDSig: CIS partner documents and hub-signed events.

What must hold, in this order (first failure wins, each with its rule id):

=======================  ============================================================
``sig.missing``          no ``ds:Signature`` at all
``sig.wrapping``         more than one signature; the signature is not a direct
                         child of the root; not exactly one Reference; its URI is
                         not ``""`` (the whole root) or it lacks the enveloped
                         transform; signxml's signed XML is not the root
``sig.algorithm``        signature or digest method outside the allow-list
``sig.no-certificate``   no signer certificate in ``ds:KeyInfo/ds:X509Data``
``sig.malformed``        certificate or signature structure unreadable
``sig.signing-time``     a signing time that cannot be read or lies in the future
``sig.cert-expired``     signer certificate not valid at signing time
``sig.weak-key``         RSA under 2048 bits, or a curve not allowed
``sig.key-usage``        no KeyUsage digitalSignature
``sig.wrong-partner``    chains to another party's CA (another partner, or the hub)
``sig.untrusted-ca``     chains to no CA the hub knows
``sig.unknown-key``      (hub documents) hub-CA certificate that is not a signing key
``sig.invalid``          signature value or digest does not match (forged/tampered)
=======================  ============================================================

Signing time: the first element named ``SigningTime`` or ``SignedAt`` (any
namespace) in the document outside the signature; it is used as the
certificate validation time and must itself be covered by the signature. When
absent, "now" is used.

Only ``VerifiedDocument.element`` (signxml's ``result.signed_xml``, rebuilt
from the canonical bytes that were signed) may be used downstream; the input
element is never returned.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
from dataclasses import dataclass

from cryptography import x509
from lxml import etree
from signxml import (
    DigestAlgorithm,
    SignatureConfiguration,
    SignatureConstructionMethod,
    SignatureMethod,
    XMLVerifier,
)
from signxml.exceptions import InvalidDigest, InvalidInput, InvalidSignature, SignXMLException

from security.errors import SignatureError, UnsafeXmlError, VerificationError
from security.safe_xml import parse_untrusted
from security.settings import DEFAULT_SETTINGS, SecuritySettings
from security.signer import DS_NS
from security.trust import HUB, TrustStore, subject_name

_NS = {"ds": DS_NS}
_SIG = f"{{{DS_NS}}}Signature"
ENVELOPED = SignatureConstructionMethod.enveloped.value
# Where a signature problem is reported: the enveloped signature under the root.
SIGNATURE_XPATH = "/*/ds:Signature"


@dataclass(frozen=True, slots=True)
class VerifiedDocument:
    """What was signed, and by whom. ``element`` is the only part to use downstream."""

    element: etree._Element
    signer: str
    key_id: str
    party: str
    signing_time: dt.datetime | None
    method: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SignatureProblem:
    """Why a document's signature is not trusted, as a value (the hub makes it a Finding)."""

    rule: str
    message: str
    xpath: str = SIGNATURE_XPATH


@dataclass(frozen=True, slots=True)
class VerificationOutcome:
    """Non-raising result: a verified document, or the problems for quarantine."""

    document: VerifiedDocument | None
    problems: tuple[SignatureProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return self.document is not None


def verify_partner_document(
    data: bytes | etree._Element,
    *,
    partner: str,
    trust: TrustStore,
    settings: SecuritySettings | None = None,
    now: dt.datetime | None = None,
) -> VerifiedDocument:
    """Verify a CIS partner's signed document; raise ``VerificationError(rule=...)`` if not
    trusted."""
    return verify_enveloped(
        data, party=partner.upper(), trust=trust, settings=settings or trust.settings, now=now
    )


def verify_hub_document(
    data: bytes | etree._Element,
    *,
    trust: TrustStore,
    settings: SecuritySettings | None = None,
    now: dt.datetime | None = None,
) -> VerifiedDocument:
    """Verify a document the hub signed (a per-event signature or a batch manifest)."""
    return verify_enveloped(data, party=HUB, trust=trust, settings=settings or trust.settings,
                            now=now)


def check_partner_document(
    data: bytes | etree._Element,
    *,
    partner: str,
    trust: TrustStore,
) -> VerificationOutcome:
    """Like :func:`verify_partner_document`, but a :class:`SignatureProblem` value instead
    of an exception, so one bad record is quarantined and never stops its neighbours."""
    try:
        doc = verify_partner_document(data, partner=partner, trust=trust)
    except (VerificationError, UnsafeXmlError) as exc:
        return VerificationOutcome(None, (SignatureProblem(rule=exc.rule, message=str(exc)),))
    return VerificationOutcome(doc)


def verify_enveloped(
    data: bytes | etree._Element,
    *,
    party: str,
    trust: TrustStore,
    settings: SecuritySettings = DEFAULT_SETTINGS,
    now: dt.datetime | None = None,
) -> VerifiedDocument:
    root = parse_untrusted(data) if isinstance(data, bytes) else data
    signature = _the_signature(root, party)
    method = _check_structure(signature, settings, party)
    leaf, others = _signer_certificates(signature, party)
    now = now or dt.datetime.now(dt.UTC)
    signing_time = _signing_time(root, settings, party, now)
    at = signing_time or now
    kid = trust.check_signer(leaf, others, party=party, at=at)
    config = SignatureConfiguration(
        location="./",
        expect_references=1,
        signature_methods=settings.signature_methods,
        digest_algorithms=settings.digest_algorithms,
        verification_time=at,
    )
    try:
        result = XMLVerifier().verify(root, x509_cert=leaf, expect_config=config)
    except InvalidDigest as exc:
        raise SignatureError(f"content was altered after signing: {exc}", rule="sig.invalid",
                             partner=party) from exc
    except (InvalidSignature, InvalidInput) as exc:
        raise SignatureError(f"signature does not verify: {exc}", rule="sig.invalid",
                             partner=party) from exc
    except (SignXMLException, etree.LxmlError, ValueError) as exc:
        raise SignatureError(f"unreadable signature: {exc}", rule="sig.malformed",
                             partner=party) from exc
    signed = result.signed_xml  # type: ignore[union-attr]
    if signed is None or signed.tag != root.tag:
        raise SignatureError("the signed data is not the document root", rule="sig.wrapping",
                             partner=party)
    if signing_time is not None and _signing_time(signed, settings, party, now) != signing_time:
        raise SignatureError("signing time is not covered by the signature",
                             rule="sig.wrapping", partner=party)
    return VerifiedDocument(
        element=signed,
        signer=subject_name(leaf),
        key_id=kid,
        party=party,
        signing_time=signing_time,
        method=method.name,
    )


def _the_signature(root: etree._Element, party: str) -> etree._Element:
    signatures = list(root.iter(_SIG))
    if not signatures:
        raise SignatureError("document is not signed", rule="sig.missing", partner=party)
    if len(signatures) > 1:
        raise SignatureError(f"{len(signatures)} signatures; exactly one is allowed",
                             rule="sig.wrapping", partner=party)
    signature = signatures[0]
    if signature.getparent() is not root:
        raise SignatureError("the signature must be a direct child of the root",
                             rule="sig.wrapping", partner=party)
    return signature


def _check_structure(
    signature: etree._Element, settings: SecuritySettings, party: str
) -> SignatureMethod:
    refs = signature.findall("ds:SignedInfo/ds:Reference", _NS)
    if len(refs) != 1:
        raise SignatureError(f"{len(refs)} references; exactly one (URI=\"\") is allowed",
                             rule="sig.wrapping", partner=party)
    ref = refs[0]
    if ref.get("URI") != "":
        raise SignatureError(f"reference URI {ref.get('URI')!r} does not cover the whole root",
                             rule="sig.wrapping", partner=party)
    transforms = [t.get("Algorithm") for t in ref.findall("ds:Transforms/ds:Transform", _NS)]
    if ENVELOPED not in transforms:
        raise SignatureError("reference lacks the enveloped-signature transform",
                             rule="sig.wrapping", partner=party)
    try:
        method = SignatureMethod(signature.find("ds:SignedInfo/ds:SignatureMethod", _NS)
                                 .get("Algorithm"))  # type: ignore[union-attr]
        digest = DigestAlgorithm(ref.find("ds:DigestMethod", _NS).get("Algorithm"))  # type: ignore[union-attr]
    except (AttributeError, ValueError) as exc:
        raise SignatureError(f"unknown signature or digest method: {exc}",
                             rule="sig.algorithm", partner=party) from exc
    if method not in settings.signature_methods or digest not in settings.digest_algorithms:
        raise SignatureError(f"{method.name} / {digest.name} not allowed", rule="sig.algorithm",
                             partner=party)
    return method


def _signer_certificates(
    signature: etree._Element, party: str
) -> tuple[x509.Certificate, list[x509.Certificate]]:
    texts = signature.findall("ds:KeyInfo/ds:X509Data/ds:X509Certificate", _NS)
    if not texts:
        raise SignatureError("no signer certificate in KeyInfo/X509Data",
                             rule="sig.no-certificate", partner=party)
    try:
        certs = [x509.load_der_x509_certificate(base64.b64decode("".join(t.text.split())))
                 for t in texts]  # type: ignore[union-attr]
    except (ValueError, AttributeError) as exc:
        raise SignatureError(f"unreadable certificate: {exc}", rule="sig.malformed",
                             partner=party) from exc
    # X509Data has no order: the leaf is the one certificate that is not a CA.
    leaves = [c for c in certs if not _is_ca(c)]
    leaf = leaves[0] if len(leaves) == 1 else certs[0]
    return leaf, [c for c in certs if c is not leaf]


@functools.lru_cache(maxsize=16)
def _signing_time_path(names: tuple[str, ...]) -> etree.XPath:
    """The compiled search for the first signing time outside the signature."""
    test = " or ".join(f"local-name()='{n}'" for n in names)
    return etree.XPath(f"(.//*[{test}][not(ancestor::ds:Signature)])[1]", namespaces=_NS)


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _signing_time(
    root: etree._Element, settings: SecuritySettings, party: str, now: dt.datetime
) -> dt.datetime | None:
    found = _signing_time_path(tuple(settings.signing_time_names))(root)
    if not found:
        return None
    text = (found[0].text or "").strip()
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise SignatureError(f"unreadable signing time {text!r}", rule="sig.signing-time",
                             partner=party) from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    if when > now + settings.max_clock_skew:
        raise SignatureError(f"signing time {text} is in the future", rule="sig.signing-time",
                             partner=party)
    return when.astimezone(dt.UTC)
