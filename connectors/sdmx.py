"""Streaming SDMX-ML data message parser: observations out, memory flat.

Reads SDMX-ML 2.1 generic (``GenericData``, ``GenericTimeSeriesData``) and
structure-specific (``StructureSpecificData``, ...TimeSeriesData) data
messages, and the SDMX-ML 2.0 ``GenericData``/``CompactData``/``CrossSectionalData``
forms still served by older offices, with ``lxml`` pull parsing: each observation
is yielded as soon as its element ends and the element is then freed.

- Any ``dimensionAtObservation``: time series, cross-sectional (any dimension
  at observation level, kept in :attr:`Observation.key`) or ``AllDimensions``.
  The period is read wherever the time dimension sits (observation, series,
  2.0 cross-sectional group, data set); explicit measures (``xsi:type`` on a
  2.1 ``Obs``, the element name in 2.0 cross-sectional data) are kept.
- An SDMX error message (``message:Error``) raises :class:`SdmxErrorMessage`
  with its code and text.

- Series keys: in generic messages the ``SeriesKey`` values; in
  structure-specific and compact ones every attribute of ``Series`` is a key
  dimension or a series attribute, which only the DSD tells apart: pass
  ``dimensions`` (the DSD's dimension ids) to split them, otherwise all are
  reported as the key.
- Group attributes (``Group``/``SiblingGroup``) go to the series they match.
- Footer messages (e.g. Eurostat's 413 "result written to a file") are kept in
  :attr:`SdmxStream.footer`; such a message has no data set.

Hardened like every agency input: no DTD, no entities, no network, the
hardened parser's attribute limit per element.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import IO

from lxml import etree

from connectors.errors import MalformedDocument
from connectors.sdmx_types import Header, Observation, SdmxStream
from connectors.xmlstream import HEAD_BYTES, refuse_dtd
from security.safe_xml import MAX_ATTRIBUTES, LocatedXmlError

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


# Attributes of a DataSet element that describe the message, not the data.
DATASET_META = frozenset({
    "structureRef", "keyFamilyURI", "setID", "action", "reportingBeginDate", "reportingEndDate",
    "validFromDate", "validToDate", "publicationYear", "publicationPeriod", "dataScope",
    "datasetID", "dataProviderSchemeAgencyId", "dataProviderSchemeId", "dataProviderID",
    "dataflowAgencyID", "dataflowID", "keyFamilyRef",
})
# Key id of an explicit measure when neither the header nor the DSD names its dimension.
MEASURE_KEY = "MEASURE"
DATA_MESSAGES = frozenset({
    "GenericData", "GenericTimeSeriesData", "StructureSpecificData",
    "StructureSpecificTimeSeriesData", "CompactData", "CrossSectionalData", "MessageGroup",
})


class SdmxFormatError(MalformedDocument):
    """The document is not an SDMX data message this parser reads."""


class SdmxErrorMessage(MalformedDocument):
    """The source answered with an SDMX-ML error message (``message:Error``)."""

    def __init__(self, message: str, *, rule: str, code: str, text: str) -> None:
        super().__init__(message, rule=rule)
        self.code = code
        self.text = text


__all__ = ["Header", "Observation", "SdmxErrorMessage", "SdmxFormatError", "SdmxStream",
           "parse_sdmx"]


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
    """What the containers around the next observation said (data set, group, series)."""

    def __init__(self, dims: tuple[str, ...] | None) -> None:
        self.dims = dims
        self.dataset = ""
        self.dim_at_obs = "TIME_PERIOD"
        self.cross_sectional = False  # SDMX 2.0 CrossSectionalData: Group and Section contain
        self.groups: list[dict[str, str]] = []
        self.ds_key: dict[str, str] = {}
        self.ds_attrs: dict[str, str] = {}
        self.xs_key: dict[str, str] = {}  # 2.0 cross-sectional Group container
        self.xs_attrs: dict[str, str] = {}
        self.series_key: tuple[tuple[str, str], ...] = ()
        self.series_attrs: dict[str, str] = {}
        self.group_attrs: dict[str, str] = {}

    def is_key(self, component: str) -> bool:
        return component in TIME_DIMENSIONS or component == self.dim_at_obs or (
            self.dims is not None and component in self.dims)

    def split(self, attrs: dict[str, str], *, default_key: bool
              ) -> tuple[dict[str, str], dict[str, str]]:
        """(key components, attributes); without the DSD's dimensions, ``default_key`` decides."""
        attrs = {k: v for k, v in attrs.items() if k not in DATASET_META}
        if self.dims is None and default_key:
            return dict(attrs), {}
        key = {k: v for k, v in attrs.items() if self.is_key(k)}
        return key, {k: v for k, v in attrs.items() if k not in key}

    def match_groups(self, series: dict[str, str]) -> dict[str, str]:
        """Attributes of every group whose key values the series shares."""
        out: dict[str, str] = {}
        for g in self.groups:
            shared = {k for k in g if k in series}
            if shared and all(series[k] == g[k] for k in shared):
                out.update({k: v for k, v in g.items() if k not in series})
        return out

    def observation(self, obs_key: dict[str, str], value: str | None, attrs: dict[str, str],
                    measure: str = "", flat: bool = False) -> Observation:
        """One observation from every level's components: the period wherever time sits."""
        series = dict(self.series_key)
        comps = {**self.ds_key, **self.xs_key, **series, **obs_key}
        if measure:  # explicit measure: it names the code of the measure dimension
            missing = [d for d in (self.dim_at_obs, *(self.dims or ()))
                       if d not in comps and d not in TIME_DIMENSIONS]
            comps[missing[0] if missing else MEASURE_KEY] = measure
        time_dim = next((t for t in TIME_DIMENSIONS if t in comps), "")
        period = comps.pop(time_dim, "") if time_dim else ""
        if self.dims is not None:
            ordered = [(d, comps.pop(d)) for d in self.dims if d in comps]
            key = tuple(ordered + list(comps.items()))
        else:
            key = tuple(comps.items())
        series_key = key if flat else tuple((k, v) for k, v in self.series_key if k != time_dim)
        return Observation(
            self.dataset, series_key, period, value,
            {**self.ds_attrs, **self.xs_attrs, **self.group_attrs, **self.series_attrs, **attrs},
            time_dim or "TIME_PERIOD", key, measure)


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
        line, column = exc.position if exc.position else (0, 0)
        raise MalformedDocument(
            f"line {line}, column {column}: SDMX message is not well-formed: {exc.msg}",
            rule="xml.malformed",
        ) from exc


def _start(el: etree._Element, name: str, generic: bool, st: _State, out: SdmxStream) -> None:
    if len(el.attrib) > MAX_ATTRIBUTES:
        raise LocatedXmlError(
            f"element {name} has {len(el.attrib)} attributes, the hub's limit is "
            f"{MAX_ATTRIBUTES} per element", rule="xml.too-many-attributes", line=el.sourceline)
    if not out.message_type:
        out.message_type = name
        if name == "Error":
            return
        if name not in DATA_MESSAGES:
            raise SdmxFormatError(f"not an SDMX data message: <{name}>", rule="sdmx.format")
        st.cross_sectional = name == "CrossSectionalData"
    elif name == "DataSet":
        out.dataset_count += 1
        st.dataset = next((v for k, v in el.attrib.items()
                           if _local(k) in ("structureRef", "keyFamilyURI")), "")
        st.dim_at_obs = out.header.structures.get(st.dataset, st.dim_at_obs)
        st.groups = []
        st.ds_key, st.ds_attrs = st.split(_plain_attrs(el), default_key=False)
    elif name == "Group" and st.cross_sectional:
        out.group_count += 1
        st.xs_key, st.xs_attrs = st.split(_plain_attrs(el), default_key=True)
    elif name in ("Series", "Section") and not generic:
        out.series_count += 1
        attrs = _plain_attrs(el)
        key, st.series_attrs = st.split(attrs, default_key=True)
        st.series_key = tuple(key.items())
        st.group_attrs = st.match_groups(attrs)
    elif name == "Series" and generic:
        out.series_count += 1
        st.series_key, st.series_attrs, st.group_attrs = (), {}, {}


def _events(parser: etree.XMLPullParser, st: _State, out: SdmxStream) -> Iterator[Observation]:
    for event, el in parser.read_events():
        tag = el.tag
        if not isinstance(tag, str):
            continue
        name = _local(tag)
        ns = _ns(tag)
        generic = ns in GENERIC_NAMESPACES
        if event == "start":
            _start(el, name, generic, st, out)
            continue
        # --- end events ---
        parent = el.getparent()
        if parent is None and out.message_type == "Error":
            raise _error_message(el)
        if name == "Header" and ns in MESSAGE_NAMESPACES:
            _read_header(el, out.header)
            if len(out.header.structures) == 1:
                st.dim_at_obs = next(iter(out.header.structures.values()))
            el.clear()
        elif name == "Message" and ns == FOOTER_NS:
            text = " ".join(t.strip() for t in el.itertext() if t.strip())
            out.footer.append((el.get("code", ""), text))
        elif name in ("Group", "SiblingGroup") and not st.cross_sectional:
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
        elif generic and name == "Attributes" and parent is not None:
            owner = _local(parent.tag)
            if owner == "Series":
                st.series_attrs = dict(_values(el))
                st.group_attrs = st.match_groups({**dict(st.series_key), **st.series_attrs})
                el.clear()
            elif owner == "DataSet":
                st.ds_attrs = dict(_values(el))
                el.clear()
        elif name == "Obs" or (st.cross_sectional and parent is not None
                               and _local(parent.tag) == "Section"):
            obs = _generic_obs(el, st) if generic else _flat_obs(el, name, st)
            out.observation_count += 1
            el.clear()
            if parent is not None:
                parent.remove(el)
            yield obs
        elif name in ("Series", "Section"):
            el.clear()
            if parent is not None:
                parent.remove(el)
            st.series_key, st.series_attrs, st.group_attrs = (), {}, {}
        elif name == "Group" and st.cross_sectional:
            el.clear()
            st.xs_key, st.xs_attrs = {}, {}


def _error_message(el: etree._Element) -> SdmxErrorMessage:
    """An SDMX-ML error message (``message:Error``) as an exception with its code and text."""
    messages = [(m.get("code", ""), " ".join(t.strip() for t in m.itertext() if t.strip()))
                for m in el if _local(m.tag) == "ErrorMessage"]
    code = messages[0][0] if messages else ""
    text = "; ".join(t for _, t in messages) or "(no text)"
    return SdmxErrorMessage(f"SDMX error {code}: {text}", rule="sdmx.error", code=code, text=text)


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
    value: str | None = None
    attrs: dict[str, str] = {}
    key: dict[str, str] = {}
    flat = False
    for c in el:
        name = _local(c.tag)
        if name == "ObsDimension":  # the dimension at observation level (time or any other)
            dim = c.get("id") or st.dim_at_obs
            key["TIME_PERIOD" if dim == "AllDimensions" else dim] = c.get("value", "")
        elif name == "Time":  # SDMX 2.0
            key["TIME"] = (c.text or "").strip()
        elif name == "ObsValue":
            value = c.get("value")
        elif name == "Attributes":
            attrs = dict(_values(c))
        elif name == "ObsKey":  # flat (AllDimensions)
            key.update(_values(c))
            flat = True
    return st.observation(key, value, attrs, flat=flat)


def _flat_obs(el: etree._Element, name: str, st: _State) -> Observation:
    """A structure-specific or compact observation: components are its attributes."""
    attrs = _plain_attrs(el)
    measure = ""
    if name != "Obs":  # SDMX 2.0 cross-sectional: the element names the measure
        measure, value = name, attrs.pop("value", None)
    else:
        xsi_type = el.get(XSI_TYPE, "")
        measure = xsi_type.rsplit(":", 1)[-1] if xsi_type else ""
        value = attrs.pop(VALUE_ATTRIBUTE, None)
    flat = _local(el.getparent().tag) not in ("Series", "Section")
    key, rest = st.split(attrs, default_key=flat or st.cross_sectional)
    return st.observation(key, value, rest, measure, flat=flat)
