"""Owner notification: a real webhook receiver and a real SMTP server on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from hub.airflow.notify import FailureNotice, SmtpSettings, notify, run_url
from hub.config import PROJECT_ROOT


def _notice() -> FailureNotice:
    return FailureNotice(
        source="partner_uzb",
        owner="exchange desk <x@example.uz>",
        dag_id="source__partner_uzb",
        run_id="manual__2026-03-01T10:00:00+00:00",
        task_id="extract",
        try_number=4,
        reason="SourceUnavailable: partner_uzb: connection refused",
        url=run_url(
            "source__partner_uzb",
            "manual__2026-03-01T10:00:00+00:00",
            "extract",
            base="http://127.0.0.1:18780",
        ),
    )


class TestRunUrl:
    def test_run_ids_with_plus_and_colon_are_escaped(self) -> None:
        url = run_url("source__x", "manual__2026-03-01T10:00:00+00:00", "intake", base="http://h")
        assert url == (
            "http://h/dags/source__x/runs/manual__2026-03-01T10%3A00%3A00%2B00%3A00/tasks/intake"
        )


class TestWebhook:
    def test_post_carries_reason_and_link(self, webhook_receiver) -> None:
        webhook_receiver.drain()
        assert notify(webhook_receiver.url, _notice()) == "webhook"
        [got] = webhook_receiver.drain()
        body = got["json"]
        assert got["path"] == "/hooks/mhub"
        assert body["source"] == "partner_uzb"
        assert "connection refused" in body["reason"]
        assert body["url"].startswith("http://127.0.0.1:18780/dags/source__partner_uzb/runs/")
        assert "connection refused" in body["text"] and body["url"] in body["text"]

    def test_unreachable_webhook_is_reported_not_raised(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        assert notify(f"http://127.0.0.1:{port}/hook", _notice()) == "failed"


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler protocol
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[_Inbox, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


class TestEmail:
    def test_mail_reaches_the_smtp_server(self, smtp_server) -> None:
        inbox, port = smtp_server
        smtp = SmtpSettings(host="127.0.0.1", port=port, mail_from="mhub@hub.example.kz")
        assert notify("mailto:desk@example.kz", _notice(), smtp=smtp) == "email"
        deadline = time.monotonic() + 5
        while not inbox.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        [(sender, rcpts, content)] = inbox.messages
        msg = message_from_bytes(content)
        assert sender == "mhub@hub.example.kz" and rcpts == ["desk@example.kz"]
        assert msg["Subject"] == "[mhub] partner_uzb: extract failed"
        text = msg.get_payload(decode=True).decode()
        assert "connection refused" in text
        assert "/dags/source__partner_uzb/runs/" in text

    def test_smtp_settings_follow_airflow_config(self, tmp_path) -> None:
        # A fresh interpreter: Airflow reads its configuration once per process.
        env = {
            **os.environ,
            "AIRFLOW_HOME": str(tmp_path),
            "AIRFLOW__SMTP__SMTP_HOST": "mail.example.kz",
            "AIRFLOW__SMTP__SMTP_PORT": "2525",
            "AIRFLOW__SMTP__SMTP_STARTTLS": "False",
            "AIRFLOW__SMTP__SMTP_MAIL_FROM": "hub@example.kz",
        }
        code = (
            "from hub.airflow.notify import SmtpSettings as S\n"
            "s = S.from_airflow()\n"
            "print(s.host, s.port, s.starttls, s.mail_from)"
        )
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=PROJECT_ROOT,
        ).stdout.split()
        assert out == ["mail.example.kz", "2525", "False", "hub@example.kz"]
