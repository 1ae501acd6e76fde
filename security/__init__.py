"""Security of the hub: what it reads is safe, what it accepts is authentic, what it
publishes is signed and chained.

Modules (each one job):

- ``safe_xml``     ``parse_untrusted(bytes)``: hardened parsing for every stage
- ``verifier``     inbound XMLDSig: ``verify_partner_document`` / ``check_partner_document``
                   (``SignatureProblem`` values), ``verify_hub_document``
- ``signer``       ``EnvelopedSigner``: per-event enveloped XMLDSig (xmlsec1-compatible)
- ``merkle``       ``MerkleTree``: add -> finish -> root / proof(i)
- ``batch``        ``BatchSigner`` (manifest + per-event proofs), ``BatchVerifier``,
                   ``verify_event_in_batch``, ``event_digest``
- ``audit_chain``  ``verify_chain``: manifests linked by digest; removed/reordered/altered
- ``keys``         key ids, encrypted PKCS#8, ``KeyStore`` with rotation, ``SigningKey``
- ``hsm``          PKCS#11 token keys (SoftHSM2 in tests)
- ``pki``          ``DevPki``: development CA, hub keys, partner CAs and certificates
- ``trust``        ``TrustStore``: pinned partner CAs, hub CA, hub signing certs
- ``pseudonym``    ``Pseudonymizer``: keyed HMAC pseudonyms per purpose
- ``settings``     ``SecuritySettings``: frozen, allow-listed algorithms
- ``errors``       the package's own exceptions under ``SecurityError``

Nothing here imports ``hub``: settings (key passphrase, pseudonym key, PKCS#11
module and PIN) arrive as parameters, and the hub translates these errors into its own
where it calls the package (``hub.errors``).
"""
