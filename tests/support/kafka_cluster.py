"""A secured Kafka cluster on loopback, built from the production files themselves.

``infra/production/kafka`` holds the cluster's broker files, client files and
setup scripts. This harness does not write a configuration of its own: it
renders those files with loopback ports and temporary paths in place of the
production host names and ``/etc`` / ``/var`` paths, runs ``scram-setup.sh``
(formatting each node with its bootstrap SCRAM users, then adding the client
users) and ``acls.sh``, and starts one JVM per node from the Maven jars. So the
production files are what is tested.

Two tools are stood in for: ``kafka-configs.sh`` and ``kafka-acls.sh`` of a
Kafka distribution are not in the Maven jars, and one JVM per call would cost a
minute. Their stand-ins journal each call; :meth:`SecureCluster.apply_journal`
parses the same options and applies them through the admin API, connected with
the settings of the rendered ``admin-client.properties``. An option the parser
does not know fails the run. ``kafka-storage.sh`` is the real storage tool.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import os
import re
import shlex
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hub.config import PROJECT_ROOT, Settings, load_settings
from infra.kafka.broker import new_cluster_id

PRODUCTION = PROJECT_ROOT / "infra" / "production" / "kafka"
LIBS = PROJECT_ROOT / "infra" / "kafka" / "libs"
LOG4J = PROJECT_ROOT / "infra" / "kafka" / "log4j2.properties"
# Every SCRAM user the production scripts name (scram-setup.sh, acls.sh).
USERS = ("broker", "admin", "mhub-stage1", "mhub-stage2", "mhub-gateway", "mhub-reports",
         "mhub-feed", "mvd", "enbek", "stat")
# Three JVMs share 2 cores and the other tests' broker: a small heap is plenty for tests.
HEAP_OPTS = ["-Xms128m", "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]
# A cold node with TLS starts in ~10-20 s on 2 cores when three start at once.
START_TIMEOUT_S = 90.0
# Settings the production files leave at Kafka's defaults that only make a test slow
# (50 partitions per internal topic, a 3 s wait before the first group rebalance).
# None of them is set by the production files: nothing of theirs is overridden.
TEST_TUNING = {
    "offsets.topic.num.partitions": "4",
    "transaction.state.log.num.partitions": "4",
    "group.initial.rebalance.delay.ms": "0",
}
_FILE_REF = re.compile(r"\$\{file:([^:}]+):([^}]+)\}")


def read_properties(path: Path) -> dict[str, str]:
    """A Java properties file (continuation lines joined), ``${file:...}`` unresolved."""
    text = re.sub(r"\\\n\s*", "", path.read_text())
    props: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            props[key.strip()] = value.strip()
    return props


def resolve(value: str) -> str:
    """Resolve ``${file:PATH:KEY}`` as Kafka's FileConfigProvider does."""
    return _FILE_REF.sub(lambda m: read_properties(Path(m[1]))[m[2]], value)


def client_env(properties: Path) -> dict[str, str]:
    """The hub's KAFKA_* settings equivalent to a Kafka client properties file."""
    props = read_properties(properties)
    jaas = resolve(props["sasl.jaas.config"])
    if props.get("ssl.truststore.type") != "PEM":
        raise ValueError(f"{properties}: the hub's clients read a PEM CA file")
    return {
        "KAFKA_SECURITY_PROTOCOL": props["security.protocol"],
        "KAFKA_SASL_MECHANISM": props["sasl.mechanism"],
        "KAFKA_SASL_USERNAME": re.search(r'username="([^"]+)"', jaas)[1],  # type: ignore[index]
        "KAFKA_SASL_PASSWORD": re.search(r'password="([^"]+)"', jaas)[1],  # type: ignore[index]
        "KAFKA_SSL_CAFILE": props["ssl.truststore.location"],
    }


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _cert(subject: str, key: ec.EllipticCurvePrivateKey, issuer: tuple | None,
          node: str | None) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    issuer_name, signer = (issuer[0].subject, issuer[1]) if issuer else (name, key)
    b = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer_name)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - dt.timedelta(minutes=5))
         .not_valid_after(now + dt.timedelta(days=2)))
    if node is None:
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    else:
        b = b.add_extension(x509.SubjectAlternativeName([
            x509.DNSName(node), x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        b = b.add_extension(x509.ExtendedKeyUsage(
            [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    return b.sign(signer, hashes.SHA256())


def _java_readable_key(key: ec.EllipticCurvePrivateKey, password: str) -> bytes:
    """An encrypted PKCS#8 key Java 17 can read: it has no "PBES2" SecretKeyFactory (the
    default of openssl and cryptography), so PBEWithSHA1AndDESede, as the runbook says."""
    plain = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    return subprocess.run(
        ["openssl", "pkcs8", "-topk8", "-v1", "PBE-SHA1-3DES", "-passout", "stdin"],
        input=password.encode() + b"\n" + plain, capture_output=True, check=True).stdout


@dataclass
class Node:
    node_id: int
    port: int
    controller_port: int
    directory: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


@dataclass
class SecureCluster:
    """N combined broker+controller nodes rendered from ``broker-N.properties``."""

    base: Path
    size: int = 3
    nodes: list[Node] = field(default_factory=list)
    passwords: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ports = free_ports(2 * self.size)
        self.nodes = [Node(n, ports[2 * n - 2], ports[2 * n - 1], self.base / f"node-{n}")
                      for n in range(1, self.size + 1)]
        self.etc_kafka = self.base / "etc" / "kafka"
        self.kafka_home = self.base / "kafka-home"
        self.journal = self.base / "admin-journal"

    @property
    def bootstrap(self) -> str:
        return ",".join(n.address for n in self.nodes)

    # --- rendering the production files ---------------------------------------------

    def render(self, text: str, node: Node | None = None, etc_mhub: Path | None = None) -> str:
        """Production host names, ports and paths replaced by this cluster's."""
        for n in self.nodes:
            text = text.replace(f"kafka-{n.node_id}.hub.internal:9092", n.address)
            text = text.replace(f"kafka-{n.node_id}.hub.internal:9093",
                                f"127.0.0.1:{n.controller_port}")
        if node is not None:
            text = text.replace("0.0.0.0:9092", node.address)
            text = text.replace("0.0.0.0:9093", f"127.0.0.1:{node.controller_port}")
            text = text.replace("/var/lib/kafka/data", str(node.directory / "data"))
        text = text.replace("/etc/kafka/", f"{self.etc_kafka}/")
        if etc_mhub is not None:
            text = text.replace("/etc/mhub/", f"{etc_mhub}/")
        return text.replace("/opt/kafka", str(self.kafka_home))

    def _write_secrets(self) -> None:
        users = self.etc_kafka / "secrets" / "users"
        users.mkdir(parents=True)
        for user in USERS:
            self.passwords[user] = base64.urlsafe_b64encode(os.urandom(12)).decode()
            (users / f"{user}.properties").write_text(f"password={self.passwords[user]}\n")
        self.key_password = base64.urlsafe_b64encode(os.urandom(12)).decode()
        (self.etc_kafka / "secrets" / "tls.properties").write_text(
            f"key_password={self.key_password}\n")

    def _write_pki(self) -> None:
        tls = self.etc_kafka / "tls"
        tls.mkdir(parents=True)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = _cert("mhub test Kafka CA", ca_key, None, None)
        (tls / "ca.pem").write_bytes(_pem(ca))
        for n in self.nodes:
            host = f"kafka-{n.node_id}.hub.internal"
            key = ec.generate_private_key(ec.SECP256R1())
            key_pem = _java_readable_key(key, self.key_password)
            cert = _cert(host, key, (ca, ca_key), host)
            (tls / f"kafka-{n.node_id}.pem").write_bytes(key_pem + _pem(cert) + _pem(ca))

    def _write_tools(self) -> None:
        """kafka-storage.sh is the real tool; the other two journal their calls."""
        bin_dir = self.kafka_home / "bin"
        bin_dir.mkdir(parents=True)
        storage = (f'exec java -Xmx256m -cp "{LIBS}/*" -Dlog4j2.configurationFile={LOG4J} '
                   f'-Dkafka.logs.dir={self.base}/logs kafka.tools.StorageTool "$@"\n')
        journal = f"{{ printf '%q ' \"$(basename \"$0\")\" \"$@\"; echo; }} >> {self.journal}\n"
        for name, body in (("kafka-storage.sh", storage), ("kafka-configs.sh", journal),
                           ("kafka-acls.sh", journal)):
            (bin_dir / name).write_text("#!/usr/bin/env bash\n" + body)
            (bin_dir / name).chmod(0o755)

    def _script(self, name: str) -> Path:
        out = self.base / "scripts" / name
        out.parent.mkdir(exist_ok=True)
        out.write_text(self.render((PRODUCTION / name).read_text()))
        return out

    def _run_script(self, name: str, *args: str, **env: str) -> None:
        proc = subprocess.run(
            ["bash", str(self._script(name)), *args], capture_output=True, text=True,
            env={**os.environ, "KAFKA_HOME": str(self.kafka_home),
                 "SECRETS": str(self.etc_kafka / "secrets" / "users"), **env})
        if proc.returncode != 0:
            raise RuntimeError(f"{name} {args} failed:\n{proc.stdout}\n{proc.stderr}")

    # --- life cycle -----------------------------------------------------------------

    def start(self) -> SecureCluster:
        (self.base / "logs").mkdir(parents=True)
        self._write_secrets()
        self._write_pki()
        self._write_tools()
        (self.etc_kafka / "admin-client.properties").write_text(
            self.render((PRODUCTION / "admin-client.properties").read_text()))
        cluster_id = new_cluster_id()
        for n in self.nodes:
            (n.directory / "logs").mkdir(parents=True)
            props = n.directory / "server.properties"
            text = self.render((PRODUCTION / f"broker-{n.node_id}.properties").read_text(), n)
            props.write_text(text + "\n# test tuning (not set above)\n"
                             + "".join(f"{k}={v}\n" for k, v in TEST_TUNING.items()))
            self._run_script("scram-setup.sh", str(props), CLUSTER_ID=cluster_id)
        for n in self.nodes:
            self.start_node(n)
        self.wait_ready()
        self._run_script("scram-setup.sh", str(self.nodes[0].directory / "server.properties"),
                         "add-users")
        self.apply_journal()
        return self

    def provision(self, topic_prefix: str) -> None:
        """Run acls.sh for a hub with this topic prefix (one per test on a shared cluster)."""
        self.journal.unlink(missing_ok=True)
        self._run_script("acls.sh", HUB_TOPIC_PREFIX=topic_prefix)
        self.apply_journal()

    def start_node(self, n: Node) -> None:
        log = open(n.directory / "logs" / "stdout.log", "ab")  # noqa: SIM115 - the child's
        n.process = subprocess.Popen(
            ["java", *HEAP_OPTS, "-Djava.awt.headless=true",
             f"-Dlog4j2.configurationFile={LOG4J}", f"-Dkafka.logs.dir={n.directory / 'logs'}",
             "-cp", f"{LIBS}/*", "kafka.Kafka", str(n.directory / "server.properties")],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)

    def wait_ready(self) -> None:
        """Every live node is registered with the controllers and answers over SASL_SSL."""
        from hub.kafka.clients import admin

        live = {n.node_id for n in self.nodes if n.process and n.process.poll() is None}
        deadline = time.monotonic() + START_TIMEOUT_S
        last: Exception | None = None
        while time.monotonic() < deadline:
            for n in self.nodes:
                if n.process is not None and n.process.poll() is not None \
                        and n.node_id in live:
                    raise RuntimeError(f"node {n.node_id} exited\n{self.log_tail(n)}")
            try:
                client = admin(self.settings("admin"))
                try:
                    brokers = {b["broker_id"] for b in client.describe_cluster()["brokers"]}
                finally:
                    client.close()
                if brokers >= live:
                    return
            except Exception as exc:  # not up yet: retry until the deadline
                last = exc
            time.sleep(0.5)
        raise RuntimeError(f"cluster not ready: {last}\n" + self.log_tail(self.nodes[0]))

    def kill(self, node_id: int) -> None:
        """SIGKILL one node (the failover test's fault)."""
        n = self.nodes[node_id - 1]
        assert n.process is not None
        os.killpg(n.process.pid, signal.SIGKILL)
        n.process.wait(timeout=30)

    def stop(self) -> None:
        for n in self.nodes:
            if n.process is not None and n.process.poll() is None:
                os.killpg(n.process.pid, signal.SIGKILL)
                n.process.wait(timeout=30)

    def log_tail(self, n: Node, lines: int = 30) -> str:
        out = ""
        for f in ("server.log", "stdout.log"):
            p = n.directory / "logs" / f
            if p.exists():
                out += f"--- {p}\n" + "\n".join(p.read_text(errors="replace").splitlines()[-lines:])
        return out

    # --- clients --------------------------------------------------------------------

    def client_properties(self, user: str) -> Path:
        """``client-hub.properties`` as deployed on a host of ``user`` (its own /etc/mhub)."""
        etc_mhub = self.base / "hosts" / user / "etc" / "mhub"
        (etc_mhub / "tls").mkdir(parents=True, exist_ok=True)
        (etc_mhub / "secrets").mkdir(exist_ok=True)
        (etc_mhub / "tls" / "ca.pem").write_bytes((self.etc_kafka / "tls" / "ca.pem").read_bytes())
        (etc_mhub / "secrets" / "kafka.properties").write_text(
            f"password={self.passwords[user]}\n")
        text = (PRODUCTION / "client-hub.properties").read_text()
        text = re.sub(r'username="[^"]+"', f'username="{user}"', text)
        out = etc_mhub / "client.properties"
        out.write_text(self.render(text, etc_mhub=etc_mhub))
        return out

    def env(self, user: str) -> dict[str, str]:
        """KAFKA_* variables of a client running as ``user``."""
        props = (self.etc_kafka / "admin-client.properties" if user == "admin"
                 else self.client_properties(user))
        return {"KAFKA_BOOTSTRAP_SERVERS": self.bootstrap, **client_env(props)}

    def settings(self, user: str, **hub_env: str) -> Settings:
        return load_settings({**self.env(user), **hub_env})

    # --- the stand-ins for kafka-configs.sh and kafka-acls.sh ------------------------

    def apply_journal(self) -> None:
        from kafka.admin import ACL, ACLPermissionType

        from hub.kafka.clients import admin

        users, acls = [], []
        for line in self.journal.read_text().splitlines():
            tool, opts = _parse_call(shlex.split(line))
            if opts.pop("bootstrap-server") != [self.nodes[0].address]:
                raise ValueError(f"{tool} called for another cluster: {line}")
            if opts.pop("command-config") != [str(self.etc_kafka / "admin-client.properties")]:
                raise ValueError(f"{tool}: not run with the admin client file: {line}")
            if tool == "kafka-configs.sh":
                users.append(_scram_upsertion(opts))
            else:
                for principal in opts["allow-principal"]:
                    for op in opts["operation"]:
                        acls.append(ACL(principal, "*", _operation(op), ACLPermissionType.ALLOW,
                                        _resource(opts)))
        client = admin(self.settings("admin"))
        try:
            if users:
                _raise_errors(client.alter_user_scram_credentials(users), "SCRAM users")
            if acls:
                result = client.create_acls(acls)
                if result.get("failed"):
                    raise RuntimeError(f"ACLs refused: {result['failed']}")
        finally:
            client.close()


_VALUED = {"bootstrap-server", "command-config", "entity-type", "entity-name", "add-config",
           "allow-principal", "operation", "topic", "group", "transactional-id",
           "resource-pattern-type"}
_FLAGS = {"add", "alter"}


def _parse_call(argv: list[str]) -> tuple[str, dict[str, list[str]]]:
    tool, args = argv[0], argv[1:]
    opts: dict[str, list[str]] = {}
    i = 0
    while i < len(args):
        name = args[i].removeprefix("--")
        if name in _FLAGS:
            opts[name] = []
            i += 1
        elif name in _VALUED and i + 1 < len(args):
            opts.setdefault(name, []).append(args[i + 1])
            i += 2
        else:
            raise ValueError(f"{tool}: option {args[i]!r} not understood by the test stand-in")
    return tool, opts


def _scram_upsertion(opts: dict[str, list[str]]):
    from kafka.admin import ScramMechanism, UserScramCredentialUpsertion

    if opts.get("entity-type") != ["users"] or "alter" not in opts:
        raise ValueError(f"kafka-configs.sh: only --alter of users is expected: {opts}")
    m = re.fullmatch(r"SCRAM-SHA-(256|512)=\[iterations=(\d+),password=(.+)\]",
                     opts["add-config"][0])
    if m is None:
        raise ValueError(f"kafka-configs.sh: unexpected --add-config {opts['add-config']}")
    mech = ScramMechanism.SCRAM_SHA_512 if m[1] == "512" else ScramMechanism.SCRAM_SHA_256
    return UserScramCredentialUpsertion(opts["entity-name"][0], mech, m[3], int(m[2]))


def _operation(name: str):
    from kafka.admin import ACLOperation

    return ACLOperation[name.upper()]


def _resource(opts: dict[str, list[str]]):
    from kafka.admin import ACLResourcePatternType, ResourcePattern, ResourceType

    pattern = ACLResourcePatternType[opts.get("resource-pattern-type", ["literal"])[0].upper()]
    kinds = [(k, t) for k, t in (("topic", ResourceType.TOPIC), ("group", ResourceType.GROUP),
                                 ("transactional-id", ResourceType.TRANSACTIONAL_ID)) if k in opts]
    if len(kinds) != 1 or len(opts[kinds[0][0]]) != 1:
        raise ValueError(f"kafka-acls.sh: one resource per call expected: {opts}")
    return ResourcePattern(kinds[0][1], opts[kinds[0][0]][0], pattern)


def _raise_errors(result: object, what: str) -> None:
    text = repr(result)
    if re.search(r"error_code['\"]?:\s*[1-9]", text):
        raise RuntimeError(f"{what} refused: {text}")
