"""A small client of Airflow's public REST API (v2), for the hub's own tools.

``mhub status`` reads the DAGs' last runs, the run summary is attached to the
DAG run as its note, tests trigger DAGs and read runs back. Only the handful of
endpoints the hub needs; the official ``apache-airflow-client`` is not worth a
dependency for that.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from hub.errors import HubError

# REST calls are local or to the operator's api-server; a slow answer means it is down.
REQUEST_TIMEOUT_S = 10.0
# The API refuses notes longer than this (DAGRunPatchBody.note maxLength).
NOTE_MAX_CHARS = 1000
# How often a waiting caller asks for a run's state.
POLL_INTERVAL_S = 1.0
TERMINAL_RUN_STATES = frozenset({"success", "failed"})


class AirflowApiError(HubError):
    """The api-server answered with an error or could not be reached."""


def _q(part: str) -> str:
    return quote(part, safe="")


@dataclass(frozen=True, slots=True)
class AirflowApi:
    base_url: str
    #: bearer token; not needed when the server runs with SIMPLE_AUTH_MANAGER_ALL_ADMINS
    token: str = ""
    timeout: float = REQUEST_TIMEOUT_S

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers.update(kwargs.pop("headers", None) or {})
        try:
            response = httpx.request(
                method,
                f"{self.base_url.rstrip('/')}{path}",
                headers=headers,
                timeout=self.timeout,
                **kwargs,
            )
        except httpx.HTTPError as exc:
            raise AirflowApiError(f"{method} {path}: {exc}") from exc
        if response.status_code >= 400:
            raise AirflowApiError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json() if response.content else None

    def health(self) -> dict[str, Any]:
        return self._request("GET", "/api/v2/monitor/health")

    def is_up(self) -> bool:
        try:
            return self.health().get("metadatabase", {}).get("status") == "healthy"
        except AirflowApiError:
            return False

    def import_errors(self) -> list[dict[str, Any]]:
        return self._request("GET", "/api/v2/importErrors")["import_errors"]

    def dags(self, tag: str | None = None) -> list[dict[str, Any]]:
        params = {"limit": 1000, **({"tags": tag} if tag else {})}
        return self._request("GET", "/api/v2/dags", params=params)["dags"]

    def set_paused(self, dag_id: str, paused: bool) -> None:
        self._request("PATCH", f"/api/v2/dags/{_q(dag_id)}", json={"is_paused": paused})

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> dict[str, Any]:
        body = {"logical_date": None, "conf": conf or {}}
        return self._request("POST", f"/api/v2/dags/{_q(dag_id)}/dagRuns", json=body)

    def run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        return self._request("GET", f"/api/v2/dags/{_q(dag_id)}/dagRuns/{_q(run_id)}")

    def runs(self, dag_id: str, limit: int = 10) -> list[dict[str, Any]]:
        params = {"limit": limit, "order_by": "-run_after"}
        return self._request("GET", f"/api/v2/dags/{_q(dag_id)}/dagRuns", params=params)["dag_runs"]

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        path = f"/api/v2/dags/{_q(dag_id)}/dagRuns/{_q(run_id)}/taskInstances"
        return self._request("GET", path)["task_instances"]

    def task_log(
        self, dag_id: str, run_id: str, task_id: str, try_number: int, map_index: int = -1
    ) -> str:
        """One try's task log as text (the lines the UI shows); ``map_index`` for a mapped
        task's instance."""
        path = (
            f"/api/v2/dags/{_q(dag_id)}/dagRuns/{_q(run_id)}/taskInstances/{_q(task_id)}"
            f"/logs/{try_number}"
        )
        reply = self._request("GET", path, params={"full_content": "true", "map_index": map_index},
                              headers={"Accept": "application/json"})
        content = reply.get("content", []) if isinstance(reply, dict) else []
        if isinstance(content, str):
            return content
        return "\n".join(
            str(line.get("event", line)) if isinstance(line, dict) else str(line)
            for line in content
        )

    def set_run_note(self, dag_id: str, run_id: str, note: str) -> None:
        if len(note) > NOTE_MAX_CHARS:
            note = note[: NOTE_MAX_CHARS - 2] + " …"
        path = f"/api/v2/dags/{_q(dag_id)}/dagRuns/{_q(run_id)}"
        self._request("PATCH", path, params={"update_mask": "note"}, json={"note": note})

    def wait_for_run(self, dag_id: str, run_id: str, timeout_s: float) -> dict[str, Any]:
        """Poll until the run is success or failed; raise when it takes longer.

        A poll the api-server answers too late is asked again until the deadline: the
        server shares its machine with the scheduler and the run's own task processes, and
        one slow answer says nothing about the run (seen under load: a single 10 s read
        timeout ended a wait with most of its time left).
        """
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                run = self.run(dag_id, run_id)
            except AirflowApiError as exc:
                if not isinstance(exc.__cause__, httpx.TimeoutException):
                    raise
                if time.monotonic() > deadline:
                    raise AirflowApiError(
                        f"{dag_id} {run_id}: no answer in time after {timeout_s}s") from exc
                continue
            if run["state"] in TERMINAL_RUN_STATES:
                return run
            if time.monotonic() > deadline:
                raise AirflowApiError(f"{dag_id} {run_id} still {run['state']} after {timeout_s}s")
            time.sleep(POLL_INTERVAL_S)
