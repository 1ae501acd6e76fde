"""``gateway.toml``: the partner gateway's configuration, unknown keys rejected.

Defaults live in ``DEFAULTS`` below; every key a file may set is listed there,
so a typo fails loudly at start-up instead of silently using a default. Relative
paths resolve against the project root. Per partner, the bilateral agreement
is spelled out: which families, which citizenships (the partner's own citizens
when not given) and which element paths of the person block and the event body
may leave the hub (everything else is removed before signing).

    [partners.KGZ]
    ca = "var/pki/trust/partners/KGZ.pem"   # pinned CA of the partner's client certs
    crl = "var/pki/trust/partners/KGZ.crl"  # its CRL (optional; checked per request)
    country = "KG"                           # client certificate subject C
    organization = "State Migration Service of the Kyrgyz Republic"   # subject O
    families = ["border", "enforcement"]
    fields = ["Person/Name", "Person/BirthDate", "Person/Citizenship", "Body/*/Direction"]
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hub.config import PROJECT_ROOT, load_settings
from hub.errors import ConfigError
from hub.model.families import EVENT_FAMILIES

# Where the gateway looks for its configuration when none is named.
CONFIG_LOCATIONS = (PROJECT_ROOT / "gateway.toml", PROJECT_ROOT / "infra" / "gateway.toml")

# A fetched message not acknowledged within this is offered again: long enough
# for a partner to store a message and ack it, short enough that a crashed
# partner client gets it back within minutes.
VISIBILITY_TIMEOUT_S = 300
# Messages not acknowledged within the retention period expire: a month covers a
# partner's outage over holidays; after that the exchange is handled by hand.
RETENTION_DAYS = 30
# Acknowledged (and expired) rows are deleted this long after they settled: a week
# answers a partner's GetStatus about last week's messages and an operator's audit,
# while the queue database stays bounded however many years the gateway runs.
ACKED_RETENTION_DAYS = 7
# 8443: unprivileged HTTPS port; tests bind port 0 (ephemeral).
DEFAULT_PORT = 8443

DEFAULTS: dict[str, dict[str, Any]] = {
    "server": {
        "host": "127.0.0.1",
        "port": DEFAULT_PORT,
        "certificate": "var/pki/hub/tls/server.pem",
        "key": "var/pki/hub/tls/server.key",
    },
    "queue": {
        "db": "var/gateway/queue.sqlite",
        "visibility_timeout_s": VISIBILITY_TIMEOUT_S,
        "retention_days": RETENTION_DAYS,
        "acked_retention_days": ACKED_RETENTION_DAYS,
    },
    # security's key directory (``mhub keys``): hub signing keys under hub/signing,
    # the trust store under trust/, the passphrase from the setting HUB_KEY_PASSPHRASE
    "keys": {
        "directory": "var/pki",
    },
    "feed": {
        "state": "var/gateway/feed-state.sqlite",
        "runs": "var/runs/gateway",
    },
}
PARTNER_KEYS = {
    "ca", "crl", "country", "organization", "families", "citizenships", "types", "fields",
}
PARTNER_REQUIRED = {"ca", "country", "organization", "families", "fields"}


@dataclass(frozen=True, slots=True)
class PartnerRule:
    """One partner: how its client certificates are recognised and what it may receive."""

    code: str
    ca: Path
    country: str
    organization: str
    families: tuple[str, ...]
    citizenships: tuple[str, ...]
    fields: tuple[str, ...]
    types: tuple[str, ...] = ()  # empty: every event type of the families
    crl: Path | None = None  # the partner CA's CRL; None: revocation not checked


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    host: str
    port: int
    server_cert: Path
    server_key: Path
    db: Path
    visibility_timeout_s: float
    retention_s: float
    keys_dir: Path
    feed_state: Path
    runs_dir: Path
    partners: tuple[PartnerRule, ...]
    #: acknowledged/expired rows are purged this long after they settled
    acked_retention_s: float = ACKED_RETENTION_DAYS * 86_400.0
    #: the hub's key passphrase (setting HUB_KEY_PASSPHRASE; empty: the dev passphrase file)
    key_passphrase: str = field(default="", repr=False)

    def partner(self, code: str) -> PartnerRule | None:
        return next((p for p in self.partners if p.code == code), None)

    @property
    def trust_dir(self) -> Path:
        return self.keys_dir / "trust"

    @property
    def families(self) -> tuple[str, ...]:
        return tuple(sorted({f for p in self.partners for f in p.families}))


def find_config() -> Path:
    for path in CONFIG_LOCATIONS:
        if path.is_file():
            return path
    raise ConfigError(f"no gateway configuration at {' or '.join(map(str, CONFIG_LOCATIONS))}")


def load_config(path: Path | None = None, *, root: Path = PROJECT_ROOT) -> GatewayConfig:
    path = path or find_config()
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    return replace(
        parse_config(data, root=root, origin=str(path)),
        key_passphrase=load_settings().key_passphrase,
    )


def parse_config(
    data: dict[str, Any], *, root: Path, origin: str = "gateway.toml"
) -> GatewayConfig:
    unknown = set(data) - {*DEFAULTS, "partners"}
    if unknown:
        raise ConfigError(f"{origin}: unknown sections {sorted(unknown)}")
    sec: dict[str, dict[str, Any]] = {}
    for name, defaults in DEFAULTS.items():
        given = data.get(name, {})
        bad = set(given) - set(defaults)
        if bad:
            raise ConfigError(f"{origin}: unknown keys in [{name}]: {sorted(bad)}")
        sec[name] = {**defaults, **given}

    def path(value: str) -> Path:
        p = Path(value)
        return p if p.is_absolute() else root / p

    partners = tuple(
        _partner(code, body, path, origin)
        for code, body in sorted(data.get("partners", {}).items())
    )
    if not partners:
        raise ConfigError(f"{origin}: no [partners.*] configured")
    q = sec["queue"]
    if min(q["visibility_timeout_s"], q["retention_days"], q["acked_retention_days"]) <= 0:
        raise ConfigError(f"{origin}: visibility timeout and retention periods must be positive")
    return GatewayConfig(
        host=str(sec["server"]["host"]),
        port=int(sec["server"]["port"]),
        server_cert=path(sec["server"]["certificate"]),
        server_key=path(sec["server"]["key"]),
        db=path(q["db"]),
        visibility_timeout_s=float(q["visibility_timeout_s"]),
        retention_s=float(q["retention_days"]) * 86_400,
        keys_dir=path(sec["keys"]["directory"]),
        feed_state=path(sec["feed"]["state"]),
        runs_dir=path(sec["feed"]["runs"]),
        partners=partners,
        acked_retention_s=float(q["acked_retention_days"]) * 86_400,
    )


def _partner(code: str, body: dict[str, Any], path: Any, origin: str) -> PartnerRule:
    where = f"{origin}: [partners.{code}]"
    if not (len(code) == 3 and code.isalpha() and code.isupper()):
        raise ConfigError(f"{where}: partner code must be an ISO 3166 alpha-3 code")
    bad = set(body) - PARTNER_KEYS
    if bad:
        raise ConfigError(f"{where}: unknown keys {sorted(bad)}")
    missing = PARTNER_REQUIRED - set(body)
    if missing:
        raise ConfigError(f"{where}: missing {sorted(missing)}")
    families = tuple(body["families"])
    wrong = [f for f in families if f not in EVENT_FAMILIES]
    if wrong or not families:
        raise ConfigError(
            f"{where}: families must be a non-empty subset of {EVENT_FAMILIES}: {wrong}"
        )
    fields = tuple(body["fields"])
    for f in fields:
        head = f.split("/", 1)[0]
        if head not in ("Person", "Body") or "//" in f or f.endswith("/"):
            raise ConfigError(f"{where}: field path {f!r} must start with Person/ or Body/")
    return PartnerRule(
        code=code,
        ca=path(body["ca"]),
        country=str(body["country"]),
        organization=str(body["organization"]),
        families=families,
        citizenships=tuple(body.get("citizenships", [code])),
        fields=fields,
        types=tuple(body.get("types", [])),
        crl=path(body["crl"]) if body.get("crl") else None,
    )
