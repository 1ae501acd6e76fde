"""Reading the hub's XML: the namespaces its code names, an element's local name and text.

Every stage reads lxml elements the same few ways; these are the one definition of
each for the hub (``connectors`` and ``security`` stand alone and keep their own).
"""

from __future__ import annotations

from lxml import etree

#: The hub's canonical event envelope (``schemas/event/v1/event.xsd``).
EVENT_NS = "urn:kz:mhub:event:1"
#: W3C XML Signature: the enveloped ``ds:Signature`` any record, event or notice may end with.
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"


def local_name(tag: object) -> str:
    """``{ns}Name`` -> ``Name``; "" for a comment's or processing instruction's tag."""
    if not isinstance(tag, str):
        return ""
    return tag[tag.index("}") + 1 :] if tag[:1] == "{" else tag


def text_of(el: etree._Element | None) -> str:
    """An element's text without surrounding blanks; "" when it or its text is absent."""
    return (el.text or "").strip() if el is not None else ""


def child_text(parent: etree._Element | None, tag: str) -> str:
    """The text of ``parent``'s first child ``tag`` (Clark notation), "" when absent."""
    return text_of(parent.find(tag)) if parent is not None else ""
