"""One Kafka seam: no module outside ``hub/kafka/`` imports a Kafka client library.

The rest of the hub reads and writes through the seam's readers, relays and transactions
and sees :class:`hub.kafka.message.Message`, so a client can change behind one folder and
each library's errors are translated in one place. Imports inside functions count too,
and so does ``importlib.import_module("kafka...")``.
"""

from __future__ import annotations

import ast
from pathlib import Path

from hub.config import PROJECT_ROOT

CLIENT_LIBRARIES = frozenset({"kafka", "confluent_kafka"})
WALKED = ("hub", "connectors", "security", "dags")
SEAM = PROJECT_ROOT / "hub" / "kafka"


def client_imports(path: Path) -> list[str]:
    """The Kafka client modules ``path`` imports, wherever in the file."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name)
              and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            names = [node.args[0].value]
        else:
            continue
        found += [n for n in names if n.split(".")[0] in CLIENT_LIBRARIES]
    return found


def test_only_the_seam_imports_kafka_clients() -> None:
    offenders = {
        str(p.relative_to(PROJECT_ROOT)): client_imports(p)
        for folder in WALKED
        for p in sorted((PROJECT_ROOT / folder).rglob("*.py"))
        if SEAM not in p.parents
    }
    assert {k: v for k, v in offenders.items() if v} == {}, (
        "import Kafka clients only in hub/kafka/ (use its readers, relays, transactions)")


def test_the_seam_itself_is_seen(tmp_path: Path) -> None:
    """The walker finds every form: top level, inside a function, from-imports, importlib."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import json\n"
        "import kafka\n"
        "def f():\n"
        "    from confluent_kafka import Consumer\n"
        "    from kafka.errors import KafkaError\n"
        "    import importlib\n"
        "    return importlib.import_module('kafka.structs')\n"
        "from hub.kafka.message import Message\n"
    )
    assert sorted(client_imports(sample)) == [
        "confluent_kafka", "kafka", "kafka.errors", "kafka.structs"]
    assert client_imports(SEAM / "transactions.py")  # the seam does import them
