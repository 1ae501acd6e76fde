"""Helpers shared by the security tests.

Imported by module name: pytest puts this directory on sys.path (rootdir-relative
``prepend`` import mode, no ``__init__.py`` so ``security`` stays the package).
"""

from __future__ import annotations

from lxml import etree

EVENT_NS = "urn:kz:mhub:event:1"


def make_event(i: int = 1, *, signing_time: str | None = None) -> etree._Element:
    """A small event of the hub's canonical shape."""
    when = f"<SigningTime>{signing_time}</SigningTime>" if signing_time else ""
    return etree.fromstring(
        f'<Event xmlns="{EVENT_NS}"><EventId>ev-{i}</EventId><Type>border.entry</Type>'
        f"<Person><Iin>900102300{i % 10}12</Iin><Name>Әлия Нұрланқызы</Name></Person>"
        f"<Crossing><Point>KZ-ALA-01</Point><At>2025-05-0{i % 9 + 1}T10:00:00Z</At></Crossing>"
        f"{when}</Event>"
    )
