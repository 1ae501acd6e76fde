"""A stand-in for the one Airflow REST call the hub's tasks make: setting a run's note.

``dag.test()`` runs a DAG without an api-server, so a task's note would go nowhere.
This real HTTP server on loopback answers ``PATCH /api/v2/dags/{dag}/dagRuns/{run}``
as the api-server does and keeps each note, so a test reads the note exactly as the
product sent it (``hub.airflow.tasks._show`` -> ``AirflowApi.set_run_note``), through
the product's own path: the test points ``AIRFLOW__API__BASE_URL`` at :attr:`base_url`.
"""

from __future__ import annotations

import json
import threading
from urllib.parse import parse_qs, unquote, urlsplit

from tests.support.loopback import LoopbackServer, QuietHandler

_RUN_PATH = ("api", "v2", "dags", None, "dagRuns", None)


class AirflowNotes(LoopbackServer):
    """Records the notes PATCHed onto DAG runs: (dag id, run id) -> note."""

    def __init__(self) -> None:
        self.notes: dict[tuple[str, str], str] = {}
        notes, lock = self.notes, threading.Lock()

        class Handler(QuietHandler):
            def do_PATCH(self) -> None:
                url = urlsplit(self.path)
                parts = [unquote(p) for p in url.path.strip("/").split("/")]
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                shaped = len(parts) == len(_RUN_PATH) and all(
                    want is None or want == got
                    for want, got in zip(_RUN_PATH, parts, strict=True))
                if not shaped or parse_qs(url.query).get("update_mask") != ["note"]:
                    self.send_response(404)
                    self.end_headers()
                    return
                with lock:
                    notes[(parts[3], parts[5])] = body["note"]
                reply = json.dumps({"dag_id": parts[3], "dag_run_id": parts[5],
                                    "note": body["note"]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        super().__init__(Handler)
