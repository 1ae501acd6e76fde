"""Streaming SDMX-ML data message parser: observations out, memory flat.

Reads SDMX-ML 2.1 generic (``GenericData``, ``GenericTimeSeriesData``) and
structure-specific (``StructureSpecificData``, ...TimeSeriesData) data
messages, and the SDMX-ML 2.0 ``GenericData``/``CompactData`` forms still
served by older offices, with ``lxml`` pull parsing: each observation is
yielded as soon as its element ends and the element is then freed.

- Series keys: in generic messages the ``SeriesKey`` values; in
  structure-specific and compact ones every attribute of ``Series`` is a key
  dimension or a series attribute, which only the DSD tells apart: pass
  ``dimensions`` (the DSD's dimension ids) to split them, otherwise all are
  reported as the key.
- Group attributes (``Group``/``SiblingGroup``) are attached to the series they
  match.
- ``dimensionAtObservation="AllDimensions"`` (flat) messages: each ``Obs``
  carries its full key.
- Footer messages (e.g. Eurostat's 413 "result written to a file") are kept in
  :attr:`SdmxStream.footer`; such a message has no data set.

Hardened like every agency input: no DTD, no entities, no network.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO

from lxml import etree

from connectors.errors import MalformedDocument
from connectors.xmlstream import HEAD_BYTES, refuse_dtd

GENERIC_NAMESPACES = frozenset(
    {
        "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic",
        "http://www.SDMX.org/resources/SDMXML/schemas/v2_0/generic",
    }
)
MESSAGE_NAMESPACES = frozenset(
    {
        "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message",
        "http://www.SDMX.org/resources/SDMXML/schemas/v2_0/message",
    }
)
FOOTER_NS = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message/footer"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
TIME_DIMENSIONS = ("TIME_PERIOD", "TIME")
VALUE_ATTRIBUTE = "OBS_VALUE"
READ_CHUNK = 64 * 1024


class SdmxFormatError(MalformedDocument):
    """The document is not an SDMX data message this parser reads."""


@dataclass(frozen=True, slots=True)
class Observation:
    """One observation with everything needed to interpret it alone."""

    dataset: str  # structureRef / DataSet id ("" if none)
    series_key: tuple[tuple[str, str], ...]  # (dimension id, code) in document order
    period: str  # value of the observation dimension (TIME_PERIOD)
    value: str | None  # as written; None if the observation has no value
    attributes: dict[str, str]  # observation, series and group attributes (most specific wins)
    time_dimension: str = "TIME_PERIOD"

    @property
    def key_string(self) -> str:
        return ".".join(v for _, v in self.series_key)

    @property
    def dimensions(self) -> dict[str, str]:
        return dict(self.series_key)

    def number(self) -> float | None:
        if self.value is None or self.value in ("", "NaN"):
            return None
        return float(self.value)


@dataclass
class Header:
    id: str = ""
    prepared: str = ""
    sender: str = ""
    structures: dict[str, str] = field(
        default_factory=dict
    )  # structureID -> dimensionAtObservation


@dataclass
class SdmxStream:
    """Iterator of observations; counts and header fill in as it is consumed."""

    _it: Iterator[Observation]
    header: Header = field(default_factory=Header)
    message_type: str = ""
    series_count: int = 0
    observation_count: int = 0
    dataset_count: int = 0
    group_count: int = 0
    footer: list[tuple[str, str]] = field(default_factory=list)  # (code, text)

    def __iter__(self) -> Iterator[Observation]:
        return self

    def __next__(self) -> Observation:
        return next(self._it)


def _local(tag: object) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _chunks(stream: IO[bytes] | Iterable[bytes] | bytes) -> Iterator[bytes]:
    if isinstance(stream, bytes | bytearray):
        yield bytes(stream)
        return
    read = getattr(stream, "read", None)
    if read is not None:
        while chunk := read(READ_CHUNK):
            yield chunk
        return
    yield from stream  # type: ignore[misc]


def parse_sdmx(
    stream: IO[bytes] | Iterable[bytes] | bytes, *, dimensions: Sequence[str] | None = None
) -> SdmxStream:
    """Parse an SDMX-ML data message incrementally; see the module docstring."""
    result = SdmxStream(iter(()))
    result._it = _parse(_chunks(stream), result, tuple(dimensions) if dimensions else None)
    return result


def _values(container: etree._Element | None) -> list[tuple[str, str]]:
    """(id, value) pairs of generic ``Value`` children (2.1 ``id``, 2.0 ``concept``)."""
    if container is None:
        return []
    return [
        (v.get("id") or v.get("concept") or "", v.get("value", ""))
        for v in container
        if _local(v.tag) == "Value"
    ]


def _child(el: etree._Element, name: str) -> etree._Element | None:
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


class _State:
    def __init__(self, dims: tuple[str, ...] | None) -> None:
        self.dims = dims
        self.dataset = ""
        self.dim_at_obs = "TIME_PERIOD"
        self.groups: list[dict[str, str]] = []
        self.series_key: tuple[tuple[str, str], ...] = ()
        self.series_attrs: dict[str, str] = {}
        self.group_attrs: dict[str, str] = {}

    def split(self, attrs: dict[str, str]) -> tuple[tuple[tuple[str, str], ...], dict[str, str]]:
        if self.dims is None:
            return tuple(attrs.items()), {}
        key = tuple((d, attrs[d]) for d in self.dims if d in attrs)
        rest = {k: v for k, v in attrs.items() if k not in self.dims}
        return key, rest

    def match_groups(self, series: dict[str, str]) -> dict[str, str]:
        """Attributes of every group whose key values the series shares."""
        out: dict[str, str] = {}
        for g in self.groups:
            shared = {k for k in g if k in series}
            if shared and all(series[k] == g[k] for k in shared):
                out.update({k: v for k, v in g.items() if k not in series})
        return out


def _plain_attrs(el: etree._Element) -> dict[str, str]:
    """Non-namespaced attributes (structure-specific components); drops xsi:type and friends."""
    return {k: v for k, v in el.attrib.items() if not k.startswith("{")}


def _parse(
    chunks: Iterator[bytes], out: SdmxStream, dims: tuple[str, ...] | None
) -> Iterator[Observation]:
    parser = etree.XMLPullParser(
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
    )
    st = _State(dims)
    head = b""
    started = False
    try:
        for chunk in chunks:
            if not started:
                head += chunk
                if len(head) < HEAD_BYTES:
                    continue
                refuse_dtd(head)
                chunk, started = head, True
            parser.feed(chunk)
            yield from _events(parser, st, out)
        if not started:
            refuse_dtd(head)
            parser.feed(head)
            yield from _events(parser, st, out)
        parser.close()
        yield from _events(parser, st, out)
    except etree.XMLSyntaxError as exc:
        raise MalformedDocument(
            f"SDMX message is not well-formed: {exc}", rule="xml.malformed"
        ) from exc


def _events(parser: etree.XMLPullParser, st: _State, out: SdmxStream) -> Iterator[Observation]:
    for event, el in parser.read_events():
        tag = el.tag
        if not isinstance(tag, str):
            continue
        name = _local(tag)
        ns = _ns(tag)
        generic = ns in GENERIC_NAMESPACES
        if event == "start":
            if not out.message_type:
                out.message_type = name
                if name not in {
                    "GenericData",
                    "GenericTimeSeriesData",
                    "StructureSpecificData",
                    "StructureSpecificTimeSeriesData",
                    "CompactData",
                    "MessageGroup",
                }:
                    raise SdmxFormatError(f"not an SDMX data message: <{name}>", rule="sdmx.format")
            elif name == "DataSet":
                out.dataset_count += 1
                st.dataset = next(
                    (
                        v
                        for k, v in el.attrib.items()
                        if _local(k) in ("structureRef", "keyFamilyURI")
                    ),
                    "",
                )
                st.dim_at_obs = out.header.structures.get(st.dataset, st.dim_at_obs)
                st.groups = []
            elif name == "Series" and not generic:
                out.series_count += 1
                attrs = _plain_attrs(el)
                st.series_key, st.series_attrs = st.split(attrs)
                st.group_attrs = st.match_groups(attrs)
            elif name == "Series" and generic:
                out.series_count += 1
                st.series_key, st.series_attrs, st.group_attrs = (), {}, {}
            continue
        # --- end events ---
        if name == "Header" and ns in MESSAGE_NAMESPACES:
            _read_header(el, out.header)
            if len(out.header.structures) == 1:
                st.dim_at_obs = next(iter(out.header.structures.values()))
            el.clear()
        elif name == "Message" and ns == FOOTER_NS:
            text = " ".join(t.strip() for t in el.itertext() if t.strip())
            out.footer.append((el.get("code", ""), text))
        elif name in ("Group", "SiblingGroup"):
            out.group_count += 1
            if generic:
                key = dict(_values(_child(el, "GroupKey")))
                attrs = dict(_values(_child(el, "Attributes")))
                st.groups.append({**key, **attrs})
            else:
                st.groups.append(_plain_attrs(el))
            el.clear()
        elif generic and name == "SeriesKey":
            st.series_key = tuple(_values(el))
            el.clear()
        elif generic and name == "Attributes" and _local(el.getparent().tag) == "Series":
            st.series_attrs = dict(_values(el))
            st.group_attrs = st.match_groups({**dict(st.series_key), **st.series_attrs})
            el.clear()
        elif name == "Obs":
            obs = _generic_obs(el, st) if generic else _flat_obs(el, st)
            out.observation_count += 1
            parent = el.getparent()
            el.clear()
            if parent is not None:
                parent.remove(el)
            yield obs
        elif name == "Series":
            el.clear()
            parent = el.getparent()
            if parent is not None:
                parent.remove(el)


def _read_header(el: etree._Element, header: Header) -> None:
    for c in el:
        name = _local(c.tag)
        if name == "ID":
            header.id = (c.text or "").strip()
        elif name == "Prepared":
            header.prepared = (c.text or "").strip()
        elif name == "Sender":
            header.sender = c.get("id", "")
        elif name == "Structure":
            header.structures[c.get("structureID", "")] = c.get(
                "dimensionAtObservation", "TIME_PERIOD"
            )


def _generic_obs(el: etree._Element, st: _State) -> Observation:
    period = ""
    value: str | None = None
    attrs: dict[str, str] = {}
    key = st.series_key
    time_dim = st.dim_at_obs
    for c in el:
        name = _local(c.tag)
        if name == "ObsDimension":
            period = c.get("value", "")
            time_dim = c.get("id") or time_dim
        elif name == "Time":  # SDMX 2.0
            period = (c.text or "").strip()
            time_dim = "TIME"
        elif name == "ObsValue":
            value = c.get("value")
        elif name == "Attributes":
            attrs = dict(_values(c))
        elif name == "ObsKey":  # flat (AllDimensions)
            full = _values(c)
            t = next((v for k, v in full if k in TIME_DIMENSIONS), "")
            period = t
            time_dim = next((k for k, _ in full if k in TIME_DIMENSIONS), time_dim)
            key = tuple((k, v) for k, v in full if k not in TIME_DIMENSIONS)
    if time_dim == "AllDimensions":
        time_dim = "TIME_PERIOD"
    return Observation(
        st.dataset, key, period, value, {**st.group_attrs, **st.series_attrs, **attrs}, time_dim
    )


def _flat_obs(el: etree._Element, st: _State) -> Observation:
    attrs = _plain_attrs(el)
    time_dim = st.dim_at_obs if st.dim_at_obs != "AllDimensions" else "TIME_PERIOD"
    if time_dim not in attrs:
        time_dim = next((t for t in TIME_DIMENSIONS if t in attrs), time_dim)
    period = attrs.pop(time_dim, "")
    value = attrs.pop(VALUE_ATTRIBUTE, None)
    key = st.series_key
    if _local(el.getparent().tag) != "Series":  # flat: the observation carries its key
        if st.dims is not None:
            key = tuple((d, attrs.pop(d)) for d in st.dims if d in attrs)
        else:
            key, attrs = tuple(attrs.items()), {}
    return Observation(
        st.dataset, key, period, value, {**st.group_attrs, **st.series_attrs, **attrs}, time_dim
    )
