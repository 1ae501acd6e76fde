"""``mhub keys``: create the development PKI, rotate the hub key, show what exists.

    mhub keys init   [--dir var/pki] [--partners UZB,KGZ,TJK,RUS] [--hub-key ec|rsa]
    mhub keys rotate [--dir var/pki] [--hub-key ec|rsa]
    mhub keys show   [--dir var/pki]

Private keys are written encrypted (PKCS#8) with ``HUB_KEY_PASSPHRASE``, or in
development with a generated passphrase in ``<dir>/.passphrase``; ``var/`` is
never committed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hub.config import load_settings
from hub.keys import key_passphrase, pki_dir
from security.pki import DEFAULT_PARTNERS, DevPki


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["init", "rotate", "show"])
    parser.add_argument("--dir", type=Path, default=None,
                        help="PKI directory (default: <HUB_VAR_DIR>/pki)")
    parser.add_argument("--partners", default=",".join(DEFAULT_PARTNERS),
                        help="comma-separated partner codes (init)")
    parser.add_argument("--hub-key", choices=["ec", "rsa"], default="ec",
                        help="hub signing key type: ECDSA P-256 or RSA-2048")


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    directory = args.dir or pki_dir(settings)
    passphrase = key_passphrase(settings)
    if args.action == "init":
        if (directory / "hub" / "ca.pem").exists():
            print(f"a PKI already exists in {directory}; nothing changed")
            return 0
        partners = [p.strip().upper() for p in args.partners.split(",") if p.strip()]
        pki = DevPki.create(directory, partners, hub_key_type=args.hub_key,
                            passphrase=passphrase)
        print(f"created development PKI in {directory}")
        _show(pki)
        return 0
    try:
        pki = DevPki.open(directory, passphrase=passphrase)
    except FileNotFoundError as exc:
        print(exc)
        return 1
    if args.action == "rotate":
        old = pki.hub_keys.active_id()
        new = pki.rotate_hub_key(args.hub_key)
        print(f"hub signing key rotated: {old} -> {new.key_id} (old certificate kept in trust/)")
    _show(pki)
    return 0


def _show(pki: DevPki) -> None:
    active = pki.hub_keys.active_id()
    print(f"hub signing CA:  {pki.hub_signing_ca.cert}")
    print(f"hub TLS CA:      {pki.hub_ca.cert}")
    for kid in pki.hub_keys.ids():
        print(f"hub signing key: {kid}{'  (active)' if kid == active else ''}")
    print(f"gateway TLS:     {pki.hub_tls_server.cert}")
    for code, paths in sorted(pki.partners.items()):
        print(f"partner {code}:     CA {paths.ca.cert}, signing {paths.signing.cert}, "
              f"TLS client {paths.tls_client.cert}")
    print(f"trust store:     {pki.trust_dir}")
