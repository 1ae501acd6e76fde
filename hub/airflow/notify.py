"""Tell a source's owner that its run failed: why, and the link to the run.

The channel is the source's ``notify`` field (``sources.toml``): ``mailto:``
sends an e-mail through the SMTP server of Airflow's ``[smtp]`` settings; an
``http(s)://`` URL receives a JSON POST (a ``text`` field, as chat webhooks
expect, plus the structured fields). Notifying never raises into the caller: a
failure callback that fails would hide the failure it reports.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote

import httpx

log = logging.getLogger(__name__)

# A webhook that does not answer in this long is down; the callback must not hang the worker.
WEBHOOK_TIMEOUT_S = 10.0
# Same reasoning for SMTP; Airflow's own default is 30 s.
SMTP_TIMEOUT_S = 30
# The local api-server (hub.airflow.environment.DEFAULT_API_PORT) when nothing else is configured.
FALLBACK_BASE_URL = "http://127.0.0.1:18780"


@dataclass(frozen=True, slots=True)
class FailureNotice:
    """What an owner needs to act: which run, which task, why, and where to look."""

    source: str
    owner: str
    dag_id: str
    run_id: str
    task_id: str
    try_number: int
    reason: str
    url: str

    @property
    def subject(self) -> str:
        return f"[mhub] {self.source}: {self.task_id} failed"

    @property
    def text(self) -> str:
        return (
            f"Source {self.source} failed in task {self.task_id} "
            f"(run {self.run_id}, try {self.try_number}).\n"
            f"Reason: {self.reason}\n"
            f"Run: {self.url}\n"
            f"Owner: {self.owner}"
        )


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    starttls: bool = False
    ssl: bool = False
    user: str = ""
    password: str = ""
    mail_from: str = "mhub@localhost"
    timeout: int = SMTP_TIMEOUT_S

    @classmethod
    def from_airflow(cls) -> SmtpSettings:
        """Airflow's ``[smtp]`` section (``AIRFLOW__SMTP__*``), as its own e-mails use."""
        from airflow.sdk.configuration import conf

        def get(key: str, default: str) -> str:
            return str(conf.get("smtp", key, fallback=default) or default)

        return cls(
            host=get("smtp_host", cls.host),
            port=int(get("smtp_port", str(cls.port))),
            starttls=get("smtp_starttls", "False").lower() == "true",
            ssl=get("smtp_ssl", "False").lower() == "true",
            user=get("smtp_user", ""),
            password=get("smtp_password", ""),
            mail_from=get("smtp_mail_from", cls.mail_from),
            timeout=int(get("smtp_timeout", str(SMTP_TIMEOUT_S))),
        )


def base_url() -> str:
    """Where operators open the UI: ``[api] base_url`` or the local default."""
    from hub.config import load_settings

    url = load_settings().airflow_api_url
    if not url:
        try:
            from airflow.sdk.configuration import conf

            url = str(conf.get("api", "base_url", fallback="") or "")
        except ImportError:
            url = ""
    return (url or FALLBACK_BASE_URL).rstrip("/")


def run_url(dag_id: str, run_id: str, task_id: str | None = None, base: str | None = None) -> str:
    """The Airflow 3 UI page of a run (or of one task in it)."""
    url = f"{base or base_url()}/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}"
    return f"{url}/tasks/{quote(task_id, safe='')}" if task_id else url


def send_webhook(url: str, notice: FailureNotice, *, timeout: float = WEBHOOK_TIMEOUT_S) -> None:
    payload: dict[str, Any] = {"text": notice.text, **asdict(notice)}
    response = httpx.post(url, json=payload, timeout=timeout)
    response.raise_for_status()


def send_email(address: str, notice: FailureNotice, smtp: SmtpSettings) -> None:
    msg = EmailMessage()
    msg["From"] = smtp.mail_from
    msg["To"] = address
    msg["Subject"] = notice.subject
    msg.set_content(notice.text)
    if smtp.ssl:
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=smtp.timeout, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    with client:
        if smtp.starttls and not smtp.ssl:
            client.starttls(context=ssl.create_default_context())
        if smtp.user:
            client.login(smtp.user, smtp.password)
        client.send_message(msg)


def notify(target: str, notice: FailureNotice, *, smtp: SmtpSettings | None = None) -> str:
    """Send ``notice`` to ``target``; return the channel used ("email", "webhook", "log").

    Errors are logged, never raised.
    """
    try:
        if target.startswith("mailto:"):
            send_email(target.removeprefix("mailto:"), notice, smtp or SmtpSettings.from_airflow())
            return "email"
        if target.startswith(("http://", "https://")):
            send_webhook(target, notice)
            return "webhook"
        log.warning("no notification target for %s; failure: %s", notice.source, notice.text)
        return "log"
    except Exception as exc:  # a failing notification must not mask the failure
        log.error("could not notify %s about %s: %s", target, notice.source, exc)
        return "failed"
