"""Which events go to which partner, and which of their fields may leave the hub.

Pure functions over verified events. Field paths are local names from the
``Event`` element, ``/``-separated, ``*`` matching any one step, e.g.
``Person/Name``, ``Body/*/Direction``. A matched path keeps its whole subtree;
the elements on the way to a matched path are kept with their attributes; every
other element under ``Person`` and ``Body`` is removed. The envelope's own
metadata (event id, type, times, provenance) is kept; the hub's proof and
signature are removed, because the partner message is signed anew.
"""

from __future__ import annotations

import copy

from lxml import etree

from hub.deliver.consumer.envelope import BODY_TAG, PERSON_TAG, PROOF_TAG, SIGNATURE_TAG
from hub.deliver.consumer.model import HubEvent
from hub.deliver.gateway.config import PartnerRule
from hub.model.elements import local_name


def selects(rule: PartnerRule, event: HubEvent) -> bool:
    """True when the agreement with ``rule.code`` covers this event."""
    return (
        event.family in rule.families
        and any(c in rule.citizenships for c in event.citizenships)
        and (not rule.types or event.type in rule.types)
    )


def _matches(pattern: tuple[str, ...], path: tuple[str, ...]) -> bool:
    return len(pattern) == len(path) and all(
        p in ("*", s) for p, s in zip(pattern, path, strict=True)
    )


def _keep(el: etree._Element, path: tuple[str, ...], patterns: list[tuple[str, ...]]) -> None:
    """Prune ``el`` (at ``path``) in place down to what ``patterns`` allow."""
    for child in list(el):
        if not isinstance(child.tag, str):
            el.remove(child)  # comments and PIs carry nothing a partner needs
            continue
        sub = (*path, local_name(child.tag))
        if any(_matches(p[: len(sub)], sub) and len(p) == len(sub) for p in patterns):
            continue  # allowed: whole subtree stays
        if any(len(p) > len(sub) and _matches(p[: len(sub)], sub) for p in patterns):
            _keep(child, sub, patterns)  # on the way to an allowed path
            child.text = None  # text of a container is not an allowed field
            continue
        el.remove(child)
    if len(el):
        el.text = None


def minimise(event_element: etree._Element, fields: tuple[str, ...]) -> etree._Element:
    """A copy of the event with only the allowed person and body fields."""
    out = copy.deepcopy(event_element)
    patterns = [tuple(f.split("/")) for f in fields]
    for child in list(out):
        if not isinstance(child.tag, str):
            out.remove(child)
            continue
        if child.tag in (SIGNATURE_TAG, PROOF_TAG):
            out.remove(child)
        elif child.tag in (PERSON_TAG, BODY_TAG):
            _keep(child, (local_name(child.tag),), patterns)
    return out
