"""Business rules of the validate stage: what an XSD cannot say.

Each rule has a stable id (agencies look it up in ``schemas/docs/rules.md``).
The rules run on a record that already passed its XSD, so they rely on the
schema's lexical forms (12-digit IIN, 44-character MRZ lines, ISO dates) and
only check meaning: check digits, consistency between fields, dates in order,
codes against the shipped code lists. They are pure: an lxml element in, a
list of :class:`Issue` out; the validator turns issues into findings with the
XPath, line, source and record id.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from lxml import etree

from hub.intake.validate import checksums
from hub.intake.validate.catalog import COMMON_NS
from hub.intake.validate.dates import as_date, later_than, parse_when, period_start
from hub.intake.validate.ruleset import (
    BIN_ELEMENTS,
    COUNTRY_ATTRIBUTES,
    COUNTRY_ELEMENTS,
    DATE_ORDER,
    KATO_ELEMENTS,
    NATIONALITY_ELEMENTS,
    OCCURRED_AT,
    RULES,
    Rule,
)
from hub.model import codelists as tables
from hub.model.elements import local_name, text_of

__all__ = ["BIN_ELEMENTS", "COUNTRY_ELEMENTS", "KATO_ELEMENTS", "OCCURRED_AT", "RULES", "Issue",
           "Rule", "check_record", "parse_when", "period_start"]

C = f"{{{COMMON_NS}}}"

# An agency's clock may run a little ahead of ours; beyond this, updatedAt is "in the future".
CLOCK_SKEW = timedelta(minutes=5)
# A date without time zone written in Kazakhstan (UTC+5) or anywhere else (max UTC+14) may be a
# calendar day ahead of a UTC timestamp taken at the same moment.
MAX_UTC_OFFSET = timedelta(hours=14)


@dataclass(frozen=True, slots=True)
class Issue:
    """A rule broken by one node (and optionally one of its attributes)."""

    rule: str
    message: str
    node: etree._Element
    attribute: str | None = None


def _child(parent: etree._Element | None, ns: str, name: str) -> etree._Element | None:
    # iterchildren(tag) filters in C; find() would go through the Python ElementPath engine.
    return None if parent is None else next(parent.iterchildren(f"{ns}{name}"), None)


Kids = dict[str, etree._Element]


def _kids(parent: etree._Element | None) -> Kids:
    """Local name -> first child element: one pass instead of a lookup per field."""
    if parent is None:
        return {}
    # Children from the last: the first of a repeated name is written last and kept.
    return {c.tag.rpartition("}")[2]: c for c in parent.iterchildren(etree.Element, reversed=True)}


# ================================= person rules =================================


def check_iin(person: etree._Element, pk: Kids | None = None) -> Iterator[Issue]:
    pk = _kids(person) if pk is None else pk
    iin_el = pk.get("IIN")
    if iin_el is None:
        return
    iin = text_of(iin_el)
    if iin[6] not in checksums.IIN_CENTURY_SEX:
        yield Issue("iin.century-digit", f"IIN {iin}: 7th digit {iin[6]} is not 1-6", iin_el)
        return
    check = checksums.iin_check_digit(iin[:11])
    if check is None:
        yield Issue(
            "iin.check-digit", f"IIN {iin}: no check digit exists for these 11 digits", iin_el
        )
    elif check != int(iin[11]):
        yield Issue("iin.check-digit", f"IIN {iin}: check digit should be {check}", iin_el)
    encoded = checksums.iin_birth_date(iin)
    birth_el = pk.get("BirthDate")
    if encoded is None:
        yield Issue(
            "iin.date", f"IIN {iin}: {iin[:6]} with century digit {iin[6]} is no date", iin_el
        )
    elif birth_el is not None and encoded.isoformat() != text_of(birth_el):
        yield Issue(
            "iin.birth-date-mismatch",
            f"IIN {iin} encodes birth date {encoded}, BirthDate is {text_of(birth_el)}",
            iin_el,
        )
    sex = text_of(pk.get("Sex"))
    encoded_sex = checksums.iin_sex(iin)
    if sex in ("M", "F") and encoded_sex != sex:
        yield Issue(
            "iin.sex-mismatch", f"IIN {iin} encodes sex {encoded_sex}, Sex is {sex}", iin_el
        )


def _mrz_check(field: str, digit: str) -> bool:
    return digit.isdigit() and checksums.mrz_check_digit(field) == int(digit)


def check_mrz(person: etree._Element, pk: Kids | None = None) -> Iterator[Issue]:
    pk = _kids(person) if pk is None else pk
    mrz = pk.get("MRZ")
    if mrz is None:
        return
    l1_el, l2_el = _child(mrz, C, "Line1"), _child(mrz, C, "Line2")
    line1, line2 = text_of(l1_el), text_of(l2_el)
    if l1_el is None or l2_el is None:
        return
    if not line1.startswith("P"):
        yield Issue("mrz.format", f"TD3 line 1 must start with P, not {line1[:1]!r}", l1_el)
        return
    number, birth, expiry, optional = line2[0:9], line2[13:19], line2[21:27], line2[28:42]
    if not (birth.isdigit() and expiry.isdigit()):
        yield Issue("mrz.format", "MRZ birth and expiry dates must be six digits", l2_el)
        return
    checks = (
        ("mrz.check-digit.document-number", number, line2[9], "document number"),
        ("mrz.check-digit.birth-date", birth, line2[19], "birth date"),
        ("mrz.check-digit.expiry", expiry, line2[27], "expiry date"),
    )
    for rule, field, digit, what in checks:
        if not _mrz_check(field, digit):
            yield Issue(
                rule,
                f"MRZ check digit of the {what} {field!r} should be "
                f"{checksums.mrz_check_digit(field)}, not {digit!r}",
                l2_el,
            )
    # ICAO 9303: when the optional data is all fillers its check digit may be '<' as well as 0.
    if not (optional == "<" * 14 and line2[42] in "<0") and not _mrz_check(optional, line2[42]):
        yield Issue(
            "mrz.check-digit.optional-data",
            f"MRZ check digit of the optional data should be "
            f"{checksums.mrz_check_digit(optional)}, not {line2[42]!r}",
            l2_el,
        )
    composite = line2[0:10] + line2[13:20] + line2[21:43]
    if not _mrz_check(composite, line2[43]):
        yield Issue(
            "mrz.check-digit.composite",
            f"MRZ composite check digit should be {checksums.mrz_check_digit(composite)}, "
            f"not {line2[43]!r}",
            l2_el,
        )
    yield from _mrz_consistency(person, pk, line1, line2, l2_el)


def _mrz_consistency(
    person: etree._Element, pk: Kids, line1: str, line2: str, l2_el: etree._Element
) -> Iterator[Issue]:
    number, state = line2[0:9].rstrip("<"), line1[2:5].rstrip("<")
    expiry = line2[21:27]
    passports = [d for d in person.iterfind(f"{C}Document") if d.get("type") == "P"]
    matching = [
        d
        for d in passports
        if d.get("number", "")[:9] == number
        and d.get("issuingState") == state
        and (d.get("expiry") is None or d.get("expiry", "")[2:].replace("-", "") == expiry)
    ]
    if not matching:
        yield Issue(
            "mrz.mismatch.document",
            f"MRZ passport {state} {number} (expiry {expiry}) is not among the person's "
            f"passport Documents",
            l2_el,
        )
    birth = text_of(pk.get("BirthDate"))
    if birth and birth[2:].replace("-", "") != line2[13:19]:
        yield Issue(
            "mrz.mismatch.birth-date",
            f"MRZ birth date {line2[13:19]} differs from BirthDate {birth}",
            l2_el,
        )
    sex = text_of(pk.get("Sex"))
    mrz_sex = {"<": "X"}.get(line2[20], line2[20])
    if sex and mrz_sex != sex:
        yield Issue("mrz.mismatch.sex", f"MRZ sex {line2[20]!r} differs from Sex {sex}", l2_el)
    nationality = line2[10:13].rstrip("<")
    citizenship = text_of(pk.get("Citizenship"))
    if citizenship and nationality != citizenship:
        yield Issue(
            "mrz.mismatch.nationality",
            f"MRZ nationality {nationality} differs from Citizenship {citizenship}",
            l2_el,
        )


# ================================== code lists ==================================


# The elements the code-list rules read, in any namespace: lxml's iter() filters by
# these tags in C, so the Python loop sees a few elements instead of every one.
_CODE_TAGS = tuple(f"{{*}}{n}" for n in sorted(COUNTRY_ELEMENTS | KATO_ELEMENTS | BIN_ELEMENTS))


def check_codes(root: etree._Element) -> Iterator[Issue]:
    countries = tables.iso_countries()
    icao = tables.icao_nationality_codes()
    for el in root.iter(*_CODE_TAGS):
        name = el.tag.rpartition("}")[2]
        if name in COUNTRY_ELEMENTS:
            code = text_of(el)
            if code not in countries and not (name in NATIONALITY_ELEMENTS and code in icao):
                yield Issue(
                    "country.unknown", f"{name} {code} is not an ISO 3166-1 alpha-3 code", el
                )
            elif name == "PartnerState" and not tables.is_cis(code):
                yield Issue(
                    "country.not-cis-partner",
                    f"PartnerState {code} is not a CIS member or associate",
                    el,
                )
        elif name in KATO_ELEMENTS:
            code = text_of(el)
            if tables.kato_region(code) is None:
                yield Issue("kato.unknown", f"{name} {code}: no KATO region {code[:2]}", el)
        elif name in BIN_ELEMENTS:
            bin_ = text_of(el)
            if checksums.iin_check_digit(bin_[:11]) != (int(bin_[11]) if bin_[11:] else None):
                yield Issue("bin.check-digit", f"BIN {bin_}: wrong check digit", el)
    for el in root.iter(f"{C}Document"):
        for attr in COUNTRY_ATTRIBUTES:
            code = el.get(attr)
            if code is not None and code not in countries:
                yield Issue(
                    "country.unknown", f"{attr} {code} is not an ISO 3166-1 alpha-3 code", el, attr
                )


# ===================================== dates ====================================


def occurred_value(
    root: etree._Element, ns: str, record_type: str, rk: Kids | None = None
) -> tuple[etree._Element | None, date | datetime | None]:
    """The element holding the fact's time and its parsed value."""
    name = OCCURRED_AT.get(record_type)
    el = (rk.get(name) if rk is not None else _child(root, ns, name)) if name else None
    if el is None:
        return None, None
    if name == "Period":
        return el, period_start(text_of(el))
    return el, parse_when(text_of(el))


def check_dates(
    root: etree._Element,
    ns: str,
    record_type: str,
    now: datetime | None = None,
    rk: Kids | None = None,
    pk: Kids | None = None,
) -> Iterator[Issue]:
    rk = _kids(root) if rk is None else rk
    updated = parse_when(root.get("updatedAt", ""))
    now = now or datetime.now(UTC)
    if isinstance(updated, datetime) and updated > now + CLOCK_SKEW:
        yield Issue(
            "date.updated-in-future",
            f"updatedAt {updated.isoformat()} is in the future",
            root,
            "updatedAt",
        )
    # The latest calendar day anywhere on Earth at the moment of updatedAt.
    updated_day = (updated + MAX_UTC_OFFSET).date() if isinstance(updated, datetime) else None
    person = rk.get("Person")
    pk = _kids(person) if pk is None else pk
    birth_el = pk.get("BirthDate")
    birth = parse_when(text_of(birth_el)) if birth_el is not None else None
    if isinstance(birth, date) and updated_day is not None and birth > updated_day:
        yield Issue("date.birth-in-future", f"BirthDate {birth} is after updatedAt", birth_el)
    occ_el, occurred = occurred_value(root, ns, record_type, rk)
    if occ_el is not None and occurred is not None:
        what = f"{local_name(occ_el.tag)} {text_of(occ_el)}"
        if isinstance(updated, datetime) and (
            occurred > updated if isinstance(occurred, datetime) else occurred > updated_day
        ):
            yield Issue(
                "date.occurred-after-update",
                f"{what} is after updatedAt {root.get('updatedAt')}",
                occ_el,
            )
        if isinstance(birth, date) and as_date(occurred) < birth:
            yield Issue(
                "date.order.before-birth",
                f"{what} is before BirthDate {birth}",
                occ_el,
            )
    yield from _check_order(rk)
    if record_type in ("BorderCrossing", "PartnerBorderNotice") and isinstance(occurred, datetime):
        for doc in person.iterfind(f"{C}Document") if person is not None else ():
            expiry = parse_when(doc.get("expiry", ""))
            if doc.get("type") == "P" and isinstance(expiry, date) and expiry < occurred.date():
                yield Issue(
                    "document.expired-at-crossing",
                    f"passport {doc.get('number')} expired {expiry}, crossing {occurred.date()}",
                    doc,
                    "expiry",
                )


def _check_order(rk: Kids) -> Iterator[Issue]:
    """Pairs of dates that must come in order (validity periods, exit after entry, ...)."""
    for start_name, end_name, rule, strict in DATE_ORDER:
        start_el, end_el = rk.get(start_name), rk.get(end_name)
        if start_el is None or end_el is None:
            continue
        start, end = parse_when(text_of(start_el)), parse_when(text_of(end_el))
        if start is None or end is None:
            continue
        bad = not later_than(end, start) if strict else later_than(start, end)
        if bad:
            yield Issue(
                rule,
                f"{end_name} {text_of(end_el)} is "
                f"{'not after' if strict else 'before'} {start_name} "
                f"{text_of(start_el)}",
                end_el,
            )


# ================================ type-specific =================================


def check_counts(
    root: etree._Element, ns: str, record_type: str, rk: Kids | None = None
) -> Iterator[Issue]:
    rk = _kids(root) if rk is None else rk
    if record_type == "LabourQuota":
        allotted, used = rk.get("Allotted"), rk.get("Used")
        if allotted is not None and used is not None and (
            int(text_of(used)) > int(text_of(allotted))
        ):
            yield Issue(
                "quota.used-exceeds-allotted",
                f"Used {text_of(used)} exceeds Allotted {text_of(allotted)}",
                used,
            )
    elif record_type == "KandasQuota":
        yield from _check_quota_year(rk)
    elif record_type == "Observation":
        value, flow = rk.get("Value"), text_of(rk.get("Flow"))
        if value is not None and flow != "SALDO" and text_of(value).startswith("-"):
            yield Issue("stat.negative-count", f"{flow} of {text_of(value)} persons", value)


def _check_quota_year(rk: Kids) -> Iterator[Issue]:
    """A quota is set for a year still to come or running, never for one already past."""
    year, decided = rk.get("QuotaYear"), rk.get("DecisionDate")
    if year is None or decided is None:
        return
    when, quota_year = parse_when(text_of(decided)), text_of(year)[:4]
    if isinstance(when, date) and quota_year.isdigit() and when.year > int(quota_year):
        yield Issue(
            "quota.decided-after-year",
            f"DecisionDate {text_of(decided)} is after the quota year {text_of(year)}",
            decided,
        )


def check_record(
    root: etree._Element, *, record_type: str, now: datetime | None = None
) -> list[Issue]:
    """Every business-rule issue of one XSD-valid record."""
    ns = f"{{{etree.QName(root).namespace}}}"
    rk = _kids(root)
    person = rk.get("Person")
    pk = _kids(person)
    issues: list[Issue] = []
    if person is not None:
        issues += check_iin(person, pk)
        issues += check_mrz(person, pk)
    issues += check_codes(root)
    issues += check_dates(root, ns, record_type, now, rk, pk)
    issues += check_counts(root, ns, record_type, rk)
    return issues
