"""Seeded generator of agency records, computable one index at a time.

Every feed (``interior``, ``labour``, ``labour-files``, ``partner:UZB`` ...) is
an endless sequence of entries; entry ``i`` of a feed is a pure function of
``(seed, feed, i)``, so a server can page over a million records holding one
page, and a test can ask what record 734,112 is and what it should become:

- :meth:`Generator.record` -> the record's XML bytes (unsigned);
- :meth:`Generator.ground_truth` -> :class:`Truth`: person id, fact id, and the
  expected outcome: valid, invalid (with the rule it trips), hostile (with the
  parser rule), duplicate of another feed's entry, or correction of an earlier
  entry of the same feed (same recordId, higher version).

People are drawn from a population of ``population`` persons; person ``p`` is
also a pure function of ``(seed, p)``. The same fact reported by two agencies
is built from the same fact seed, so both reports agree on what happened while
each agency spells the person its own way.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from xml.sax.saxutils import escape

from infra.agencies import reference as ref
from infra.agencies.documents import make_bin, make_iin, td3_mrz
from infra.agencies.names import NAME_TABLES, ascii_fold, icao_mrz_name, patronymic, transliterate
from security.safe_xml import MAX_DOCUMENT_BYTES

NS = {
    "interior": "urn:kz:mhub:interior:1",
    "labour": "urn:kz:mhub:labour:1",
    "partner": "urn:kz:mhub:partner:1",
    "common": "urn:kz:mhub:common:1",
}

# Outcomes the hub should reach for an entry.
VALID, INVALID, HOSTILE, DUPLICATE, CORRECTION = (
    "valid",
    "invalid",
    "hostile",
    "duplicate",
    "correction",
)

# Invalid kinds and the validation rule each should trip (ids agreed with the
# schemas helper's hub.intake.validate rules).
INVALID_RULES: dict[str, str] = {
    "iin-check-digit": "iin.check-digit",
    "iin-birth-date": "iin.birth-date-mismatch",
    "mrz-check-digit": "mrz.check-digit.document-number",
    "birth-in-future": "date.birth-in-future",
    "country-code": "country.unknown",
    "kato-region": "kato.unknown",
    "validity-order": "date.order.validity",
    "missing-element": "xsd.element-content",
    "bin-check-digit": "bin.check-digit",
    "quota-overuse": "quota.used-exceeds-allotted",
}
# Hostile kinds and the parser rule (security.safe_xml) each should trip.
HOSTILE_RULES: dict[str, str] = {
    "xxe": "xml.dtd",
    "billion-laughs": "xml.dtd",
    "oversized": "xml.too-large",
}

RECORD_TYPES: dict[str, tuple[tuple[str, str, int], ...]] = {
    # feed family -> (root element, id code, weight)
    "interior": (
        ("BorderCrossing", "BC", 55),
        ("StayRegistration", "SR", 18),
        ("ResidencePermit", "RP", 5),
        ("CitizenshipDecision", "CD", 2),
        ("Violation", "VL", 6),
        ("Deportation", "DP", 4),
        ("EntryBan", "EB", 4),
        ("AsylumApplication", "AA", 3),
        ("RefugeeStatusDecision", "RS", 3),
    ),
    "labour": (
        ("WorkPermit", "WP", 70),
        ("LabourQuota", "LQ", 10),
        ("KandasAdmission", "KA", 10),
        ("KandasResettlement", "KR", 10),
        ("KandasQuota", "KQ", 2),
    ),
    "partner": (
        ("PartnerBorderNotice", "BN", 60),
        ("PartnerDeportationNotice", "DN", 10),
        ("PartnerEntryBanNotice", "EN", 10),
        ("PartnerCitizenRegistration", "CR", 20),
    ),
}
# Interior facts a partner also reports, and the partner record type that reports them.
SHARED_FACTS: dict[str, str] = {
    "BorderCrossing": "PartnerBorderNotice",
    "Deportation": "PartnerDeportationNotice",
    "EntryBan": "PartnerEntryBanNotice",
}
_KATO_RECORDS = frozenset(
    {
        "StayRegistration",
        "ResidencePermit",
        "Violation",
        "AsylumApplication",
        "WorkPermit",
        "LabourQuota",
        "KandasQuota",
        "KandasAdmission",
        "KandasResettlement",
    }
)
_VALIDITY_RECORDS = frozenset(
    {
        "StayRegistration",
        "ResidencePermit",
        "EntryBan",
        "RefugeeStatusDecision",
        "WorkPermit",
        "PartnerEntryBanNotice",
        "PartnerCitizenRegistration",
    }
)
# Records about no one person (quotas): rendered without a c:Person block.
PERSONLESS = frozenset({"LabourQuota", "KandasQuota"})
RECORD_PREFIX = {"interior": "MVD", "labour": "MTSZN", "labour-files": "MTSZN-F"}
# How far back a correction reaches: corrections arrive within a day's records.
MAX_CORRECTION_DISTANCE = 64
# How many entries back a duplicate looks for a shareable interior fact.
DUPLICATE_SEARCH = 32


@dataclass(frozen=True, slots=True)
class Rates:
    """Per-entry probabilities; the rest are valid originals."""

    #: a partner entry reports a fact the interior ministry also reported
    duplicate: float = 0.10
    #: of those duplicates, the partner names the person by passport only
    identity_split: float = 0.5
    #: an entry re-sends an earlier record of its feed with a higher version
    correction: float = 0.03
    invalid: float = 0.02
    hostile: float = 0.0
    #: a Cyrillic-script name is sent without its patronymic
    missing_patronymic: float = 0.25

    def __post_init__(self) -> None:
        total = self.duplicate + self.correction + self.invalid + self.hostile
        if total > 1.0 or min(self.duplicate, self.correction, self.invalid, self.hostile) < 0:
            raise ValueError(f"rates must be >= 0 and sum to at most 1 (got {total})")


@dataclass(frozen=True, slots=True)
class GeneratorConfig:
    seed: int = 0
    #: distinct people the agencies report on
    population: int = 200_000
    rates: Rates = field(default_factory=Rates)
    #: updatedAt of entry 0 of every feed; entry i is ``step_s * i`` seconds later
    epoch: datetime = datetime(2025, 6, 1, tzinfo=UTC)
    step_s: int = 1
    #: interior entries per partner entry (partners report a slice of the border)
    interior_per_partner: int = 4
    #: invalid kinds drawn from (all by default)
    invalid_kinds: tuple[str, ...] = tuple(INVALID_RULES)
    hostile_kinds: tuple[str, ...] = tuple(HOSTILE_RULES)


@dataclass(frozen=True, slots=True)
class Truth:
    """What the hub should make of one entry; the dedup helper scores against it."""

    feed: str
    index: int
    record_id: str
    version: int
    record_type: str
    outcome: str
    person_id: int | None
    fact_id: str
    rule: str | None = None
    kind: str | None = None  # invalid or hostile kind
    duplicate_of: str | None = None  # "interior:123": the first report of the fact
    correction_of: str | None = None  # "interior:120": the entry this one corrects
    updated_at: str = ""


@dataclass(frozen=True, slots=True)
class Person:
    pid: int
    citizenship: str
    sex: str
    birth: date
    surname: str  # canonical, in the table's script
    given: str
    surname_alt: str  # the other script (Cyrillic for Latin-script people), "" if none
    given_alt: str
    patronymic: str  # Cyrillic, "" if the naming tradition has none
    iin: str  # "" if the person has none
    passport: str
    passport_expiry: date
    canonical_script: str


def _seed_int(*parts: object) -> int:
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _weighted(rng: random.Random, items: dict[str, int]) -> str:
    return rng.choices(list(items), weights=list(items.values()))[0]


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def _passport_number(rng: random.Random, state: str) -> str:
    digits = "".join(rng.choice("0123456789") for _ in range(9))
    letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVXYZ") for _ in range(2))
    return {
        "KAZ": "N" + digits[:8],
        "RUS": digits,
        "UZB": "F" + letters[0] + digits[:7],
        "KGZ": "AC" + digits[:7],
        "TJK": "4" + digits[:8],
        "CHN": "E" + digits[:8],
        "TUR": "U" + digits[:8],
        "DEU": "C" + letters + digits[:6],
        "AZE": "C" + digits[:8],
    }.get(state, letters + digits[:7])


class Generator:
    """Records and ground truth of every simulated feed, one index at a time."""

    def __init__(self, config: GeneratorConfig | None = None) -> None:
        self.config = config or GeneratorConfig()
        self._people = lru_cache(maxsize=4096)(self._make_person)

    # --- people --------------------------------------------------------------

    def person(self, pid: int) -> Person:
        return self._people(pid)

    def _make_person(self, pid: int) -> Person:
        rng = random.Random(_seed_int(self.config.seed, "person", pid))
        cit = _weighted(rng, ref.CITIZENSHIP_WEIGHTS)
        table = NAME_TABLES[cit]
        sex = "M" if rng.random() < 0.62 else "F"  # labour migration is mostly male
        birth = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 58 * 365))
        sur_m, sur_f = rng.choice(table.surnames)
        given = rng.choice(table.male if sex == "M" else table.female)
        if table.script == "Cyrl":
            surname, surname_alt = (sur_m if sex == "M" else sur_f), ""
            given_alt = ""
        else:
            surname, surname_alt = sur_m, sur_f
            given, given_alt = given.replace("_", " ").split("|")
        patr = ""
        if table.patronymic:
            father = rng.choice(table.male)
            patr = patronymic(father, sex, kazakh_style=cit == "KAZ" and rng.random() < 0.3)
        # Citizens always have an IIN; foreigners get one with a residence permit or job.
        has_iin = cit == "KAZ" or rng.random() < 0.35
        iin = make_iin(birth, sex, rng.randrange(10_000)) if has_iin else ""
        expiry = date(2026, 1, 1) + timedelta(days=rng.randrange(30, 10 * 365))
        return Person(
            pid=pid,
            citizenship=cit,
            sex=sex,
            birth=birth,
            surname=surname,
            given=given,
            surname_alt=surname_alt,
            given_alt=given_alt,
            patronymic=patr,
            iin=iin,
            passport=_passport_number(rng, cit),
            passport_expiry=expiry,
            canonical_script=table.script,
        )

    # --- entry skeleton (cheap: no rendering) -----------------------------------

    def _timeline(self, feed: str) -> tuple[datetime, int]:
        """(updatedAt of entry 0, seconds between entries) of a feed.

        Partners report a slice of the border, about an hour after the fact, so their
        entries are ``interior_per_partner`` times sparser and start an hour later.
        """
        c = self.config
        if self.family(feed) == "partner":
            return c.epoch + timedelta(hours=1), c.step_s * c.interior_per_partner
        return c.epoch, c.step_s

    def updated_at(self, feed: str, index: int) -> datetime:
        start, step = self._timeline(feed)
        return start + timedelta(seconds=step * index)

    def first_index_after(self, feed: str, since: datetime | None) -> int:
        """Smallest index whose updatedAt is strictly after ``since``."""
        if since is None:
            return 0
        start, step = self._timeline(feed)
        delta = (since - start).total_seconds()
        if delta < 0:
            return 0
        return int(delta // step) + 1

    @staticmethod
    def family(feed: str) -> str:
        return "labour" if feed.startswith("labour") else feed.split(":", 1)[0]

    def _entry_rng(self, feed: str, index: int, what: str) -> random.Random:
        return random.Random(_seed_int(self.config.seed, feed, index, what))

    def kind(self, feed: str, index: int) -> tuple[str, str | None]:
        """(outcome, invalid/hostile kind) before resolving corrections and duplicates."""
        r = self._entry_rng(feed, index, "kind")
        x = r.random()
        rates = self.config.rates
        if x < rates.hostile:
            kind = r.choice(self.config.hostile_kinds)
            if kind == "oversized" and self.family(feed) == "partner":
                kind = "xxe"  # SOAP gateways refuse oversized messages before the hub sees them
            return HOSTILE, kind
        x -= rates.hostile
        if x < rates.invalid:
            return INVALID, r.choice(self.config.invalid_kinds)
        x -= rates.invalid
        if x < rates.correction:
            return CORRECTION, None
        x -= rates.correction
        if x < rates.duplicate and self.family(feed) == "partner":
            return DUPLICATE, None
        return VALID, None

    def _record_type(self, feed: str, index: int) -> tuple[str, str]:
        r = self._entry_rng(feed, index, "type")
        types = RECORD_TYPES[self.family(feed)]
        root, code, _ = r.choices(types, weights=[t[2] for t in types])[0]
        return root, code

    def _correction_target(self, feed: str, index: int) -> int | None:
        """Index of the original this correction re-sends, or None (then it is an original)."""
        d = 1 + self._entry_rng(feed, index, "corr").randrange(MAX_CORRECTION_DISTANCE)
        target = index - d
        if target < 0:
            return None
        outcome, _ = self.kind(feed, target)
        # No chains: corrections of corrections, of unreadable records and of another
        # agency's fact (a duplicate) are originals, so a correction always re-sends
        # the same fact about the same person.
        if outcome in (CORRECTION, HOSTILE, DUPLICATE):
            return None
        return target

    def _duplicate_source(self, feed: str, index: int) -> int | None:
        """Interior index whose fact this partner entry reports again, or None."""
        r = self._entry_rng(feed, index, "dup")
        ratio = self.config.interior_per_partner
        k = r.randrange(index * ratio, index * ratio + ratio)
        for j in range(k, max(-1, k - DUPLICATE_SEARCH), -1):
            if (
                self.kind("interior", j)[0] == VALID
                and self._record_type("interior", j)[0] in SHARED_FACTS
            ):
                return j
        return None

    def ground_truth(self, feed: str, index: int) -> Truth:
        outcome, kind = self.kind(feed, index)
        family = self.family(feed)
        root, code = self._record_type(feed, index)
        version = 1
        fact_id = f"{feed}:{index}"
        correction_of = duplicate_of = None
        rule = None
        record_index = index
        if outcome == CORRECTION:
            target = self._correction_target(feed, index)
            if target is None:
                outcome = VALID
            else:
                correction_of = f"{feed}:{target}"
                fact_id = f"{feed}:{target}"
                root, code = self._record_type(feed, target)
                version = 1 + (index - target)
                record_index = target
        elif outcome == DUPLICATE:
            src = self._duplicate_source(feed, index)
            if src is None:
                outcome = VALID
            else:
                duplicate_of = f"interior:{src}"
                fact_id = duplicate_of
                root = SHARED_FACTS[self._record_type("interior", src)[0]]
                code = next(c for r_, c, _ in RECORD_TYPES["partner"] if r_ == root)
        elif outcome == INVALID:
            assert kind is not None
            kind = self._applicable_invalid(kind, root)
            rule = INVALID_RULES[kind]
        elif outcome == HOSTILE:
            assert kind is not None
            rule = HOSTILE_RULES[kind]
        pid = None if root in PERSONLESS else self._person_for_fact(fact_id)
        return Truth(
            feed=feed,
            index=index,
            record_id=self._record_id(feed, family, code, record_index),
            version=version,
            record_type=root,
            outcome=outcome,
            person_id=pid,
            fact_id=fact_id,
            rule=rule,
            kind=kind,
            duplicate_of=duplicate_of,
            correction_of=correction_of,
            updated_at=_iso(self.updated_at(feed, index)),
        )

    def _record_id(self, feed: str, family: str, code: str, index: int) -> str:
        if family == "partner":
            return f"{feed.split(':', 1)[1]}-{code}-{index:09d}"
        return f"{RECORD_PREFIX[feed]}-{code}-{index:09d}"

    def _person_for_fact(self, fact_id: str) -> int:
        return random.Random(_seed_int(self.config.seed, "fact-person", fact_id)).randrange(
            self.config.population
        )

    @staticmethod
    def _applicable_invalid(kind: str, root: str) -> str:
        """The invalid kind if this record type has the field, else a schema violation."""
        has_person = root not in PERSONLESS
        needs = {
            "kato-region": root in _KATO_RECORDS,
            "validity-order": root in _VALIDITY_RECORDS,
            "bin-check-digit": root == "WorkPermit",
            "quota-overuse": root == "LabourQuota",
            "iin-check-digit": has_person,
            "iin-birth-date": has_person,
            "mrz-check-digit": has_person,
            "birth-in-future": has_person,
            "country-code": has_person,
        }
        return kind if needs.get(kind, True) else "missing-element"

    # --- rendering ------------------------------------------------------------

    def record(self, feed: str, index: int) -> bytes:
        """The entry's XML document exactly as the agency sends it (unsigned)."""
        truth = self.ground_truth(feed, index)
        if truth.outcome == HOSTILE:
            return self._hostile(truth)
        return self._render(truth).encode()

    def records(self, feed: str, start: int, stop: int) -> Iterator[tuple[Truth, bytes]]:
        for i in range(start, stop):
            yield self.ground_truth(feed, i), self.record(feed, i)

    def _render(self, t: Truth) -> str:
        family = self.family(t.feed)
        ns = NS[family]
        # Fact details come from the fact seed, so every report of a fact agrees.
        fr = random.Random(_seed_int(self.config.seed, "fact", t.fact_id))
        rr = self._entry_rng(t.feed, t.index, "render")
        fact_time = self._fact_time(t, fr)
        broken = t.kind if t.outcome == INVALID else None
        body = _BODIES[t.record_type](self, t, fr, rr, fact_time, broken)
        person = ""
        if t.person_id is not None:
            person = self._person_xml(t, self.person(t.person_id), family, rr)
        header = person
        if family == "partner":
            header += f"<PartnerState>{t.feed.split(':', 1)[1]}</PartnerState>"
        return (
            f'<{t.record_type} xmlns="{ns}" xmlns:c="{NS["common"]}" recordId="{t.record_id}" '
            f'version="{t.version}" updatedAt="{t.updated_at}">{header}{body}</{t.record_type}>'
        )

    def _fact_time(self, t: Truth, fr: random.Random) -> datetime:
        feed, idx = t.fact_id.rsplit(":", 1)
        base = self.updated_at(feed, int(idx))
        return base - timedelta(seconds=fr.randrange(60, 6 * 3600))

    def _names(self, p: Person, family: str, rr: random.Random) -> list[tuple[str, str, str, str]]:
        """(script, surname, given, patronymic) as this agency's system writes them."""
        drop_patr = rr.random() < self.config.rates.missing_patronymic
        patr = "" if drop_patr else p.patronymic
        upper = rr.random() < 0.4  # many systems store names upper-case, like the MRZ
        out: list[tuple[str, str, str, str]] = []
        if p.canonical_script == "Cyrl":
            if family != "partner" or rr.random() < 0.5:
                cyr_s, cyr_g = p.surname, p.given
                if family == "labour" and rr.random() < 0.5:
                    # Russian-keyboard systems lose the Kazakh letters: Қанат -> Канат
                    cyr_s, cyr_g, patr = (_russify(x) for x in (cyr_s, cyr_g, patr))
                out.append(("Cyrl", cyr_s, cyr_g, patr))
            scheme = {
                "interior": rr.choice(("icao", "icao", "russian")),
                "labour": rr.choice(("russian", "phonetic", "kazakh_latin")),
                "partner": "uzbek_latin"
                if p.citizenship == "UZB"
                else rr.choice(("icao", "russian")),
            }[family]
            if p.citizenship == "KAZ" and family != "partner" and rr.random() < 0.3:
                scheme = "kazakh_latin"
            lat = [transliterate(x, scheme) for x in (p.surname, p.given, patr)]
            if scheme == "kazakh_latin" and rr.random() < 0.5:
                lat = [ascii_fold(x) for x in lat]  # Qanat stays, Ä -> A on plain keyboards
            out.append(("Latn", *lat))  # type: ignore[arg-type]
        else:
            s, g = p.surname, p.given
            if rr.random() < 0.5:
                s, g = ascii_fold(s), ascii_fold(g)
            if p.citizenship == "CHN" and rr.random() < 0.3:
                g = g.replace(" ", "")
            out.append(("Latn", s, g, ""))
            if family != "partner" and rr.random() < 0.6:
                out.append(("Cyrl", p.surname_alt, p.given_alt, ""))
        if upper:
            out = [(sc, s.upper(), g.upper(), pa.upper()) for sc, s, g, pa in out]
        return out

    def identifiers(self, t: Truth) -> tuple[str, ...]:
        """Which identifiers the entry's record carries: "iin", "passport", "mrz"."""
        if t.person_id is None or t.outcome == HOSTILE:
            return ()
        iin, passport, mrz = self._carry(t, self.person(t.person_id))
        return tuple(n for n, on in (("iin", iin), ("passport", passport), ("mrz", mrz)) if on)

    def _carry(self, t: Truth, p: Person) -> tuple[bool, bool, bool]:
        family = self.family(t.feed)
        r = self._entry_rng(t.feed, t.index, "ids")
        if t.outcome == DUPLICATE:
            # The same person, known by IIN at home and only by passport abroad.
            split = r.random() < self.config.rates.identity_split
            carry_iin = bool(p.iin) and not split
        else:
            carry_iin = bool(p.iin) and (family != "partner" or r.random() < 0.1)
        carry_passport = family == "partner" or not carry_iin or r.random() < 0.7
        carry_mrz = carry_passport and family == "interior" and r.random() < 0.6
        broken = t.kind if t.outcome == INVALID else None
        if broken in ("iin-check-digit", "iin-birth-date"):
            carry_iin = True
        elif broken == "birth-in-future":
            carry_iin = False  # else the IIN/birth date mismatch would fire first
        elif broken == "mrz-check-digit":
            carry_passport = carry_mrz = True
        return carry_iin, carry_passport, carry_mrz

    def _person_xml(self, t: Truth, p: Person, family: str, rr: random.Random) -> str:
        broken = t.kind if t.outcome == INVALID else None
        iin = p.iin
        birth = p.birth
        citizenship = p.citizenship
        carry_iin, carry_passport, carry_mrz = self._carry(t, p)
        if broken in ("iin-check-digit", "iin-birth-date") and not iin:
            iin = make_iin(birth, p.sex, p.pid % 10_000)
        if broken == "iin-check-digit":
            iin = iin[:11] + str((int(iin[11]) + 1 + rr.randrange(9)) % 10)
        elif broken == "iin-birth-date":
            other = birth + timedelta(days=1 + rr.randrange(300))
            iin = make_iin(other, p.sex, p.pid % 10_000)
        elif broken == "birth-in-future":
            birth = date(2031, 1, 1) + timedelta(days=rr.randrange(3000))
        elif broken == "country-code":
            citizenship = "QQQ"  # in no ISO 3166 or ICAO list
        parts = ["<c:Person>"]
        if carry_iin:
            parts.append(f"<c:IIN>{iin}</c:IIN>")
        if carry_passport:
            parts.append(
                f'<c:Document type="P" issuingState="{p.citizenship}" number="{p.passport}" '
                f'expiry="{p.passport_expiry.isoformat()}"/>'
            )
        if carry_mrz:
            lat_s = transliterate(p.surname, "icao") if p.canonical_script == "Cyrl" else p.surname
            lat_g = transliterate(p.given, "icao") if p.canonical_script == "Cyrl" else p.given
            l1, l2 = td3_mrz(
                issuing_state=p.citizenship,
                surname=icao_mrz_name(lat_s),
                given_names=icao_mrz_name(lat_g),
                number=p.passport,
                nationality=p.citizenship,
                birth=p.birth,
                sex=p.sex,
                expiry=p.passport_expiry,
            )
            if broken == "mrz-check-digit":
                pos = 9  # the document number's check digit
                l2 = l2[:pos] + str((int(l2[pos]) + 1) % 10) + l2[pos + 1 :]
            parts.append(
                f"<c:MRZ><c:Line1>{escape(l1)}</c:Line1><c:Line2>{escape(l2)}</c:Line2></c:MRZ>"
            )
        for script, s, g, pa in self._names(p, family, rr):
            patr = f"<c:Patronymic>{escape(pa)}</c:Patronymic>" if pa else ""
            parts.append(
                f'<c:Name script="{script}"><c:Surname>{escape(s)}</c:Surname>'
                f"<c:GivenNames>{escape(g)}</c:GivenNames>{patr}</c:Name>"
            )
        parts.append(f"<c:BirthDate>{birth.isoformat()}</c:BirthDate>")
        if broken != "missing-element":
            parts.append(f"<c:Sex>{p.sex}</c:Sex>")
        parts.append(f"<c:Citizenship>{citizenship}</c:Citizenship></c:Person>")
        return "".join(parts)

    def _hostile(self, t: Truth) -> bytes:
        root, ns = t.record_type, NS[self.family(t.feed)]
        attrs = f'recordId="{t.record_id}" version="{t.version}" updatedAt="{t.updated_at}"'
        if t.kind == "xxe":
            return (
                '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
                f'<{root} xmlns="{ns}" {attrs}><Note>&xxe;</Note></{root}>'
            ).encode()
        if t.kind == "billion-laughs":
            ents = ['<!ENTITY lol0 "lol">'] + [
                f'<!ENTITY lol{k} "{("&lol" + str(k - 1) + ";") * 10}">' for k in range(1, 10)
            ]
            return (
                f'<?xml version="1.0"?>\n<!DOCTYPE r [{"".join(ents)}]>\n'
                f'<{root} xmlns="{ns}" {attrs}><Note>&lol9;</Note></{root}>'
            ).encode()
        # oversized: a well-formed record padded past the hub's document limit
        head = f'<{root} xmlns="{ns}" {attrs}><Note>'.encode()
        tail = f"</Note></{root}>".encode()
        pad = MAX_DOCUMENT_BYTES + 1024 - len(head) - len(tail)
        return head + b"A" * pad + tail


def _russify(text: str) -> str:
    table = str.maketrans("ӘәҒғҚқҢңӨөҰұҮүҺһІі", "АаГгКкНнОоУуУуХхИи")
    return text.translate(table)


# --- record bodies: one function per root element ------------------------------------
# Signature: (gen, truth, fact rng, render rng, fact time, invalid kind) -> XML fragment.


def _kato(fr: random.Random, broken: str | None) -> str:
    if broken == "kato-region":
        return "990000000"  # prefix 99 names no region
    region = _weighted(fr, ref.KATO_WEIGHTS)
    return ref.kato_code(region, fr.choice((0, 0, 11, 12, 13, 21)))


def _local(ts: datetime, family: str) -> str:
    """Interior systems write local time (+05:00); partners and labour write UTC."""
    if family == "interior":
        return (ts + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%S+05:00")
    return _iso(ts)


def _ref(prefix: str, fr: random.Random, year: int) -> str:
    return f"{prefix}-{year}-{fr.randrange(10**6):06d}"


def _validity(start: date, days: int, broken: str | None) -> tuple[date, date]:
    end = start + timedelta(days=days)
    return (end, start) if broken == "validity-order" else (start, end)


def _partner_state(t: Truth) -> str:
    return f"<PartnerState>{t.feed.split(':', 1)[1]}</PartnerState>" if ":" in t.feed else ""


# Facts shared by interior and partner reports draw from the fact rng in the same order.


def _crossing_fact(fr: random.Random) -> tuple[str, str, str]:
    code, _name, _n, mode = fr.choice(ref.BORDER_POINTS)
    direction = "ENTRY" if fr.random() < 0.55 else "EXIT"
    return direction, code, mode


def _crossing(gen, t, fr, rr, ft, broken) -> str:  # type: ignore[no-untyped-def]
    family = gen.family(t.feed)
    direction, code, mode = _crossing_fact(fr)
    return (
        f"<Direction>{direction}</Direction><BorderPoint>{code}</BorderPoint>"
        f"<CrossedAt>{_local(ft, family)}</CrossedAt><TransportMode>{mode}</TransportMode>"
    )


def _deportation_fact(fr: random.Random, ft: datetime) -> tuple[str, date, str, str]:
    case = _ref("ДП", fr, ft.year)
    decided = ft.date() - timedelta(days=fr.randrange(1, 20))
    code, _name, _n, _mode = fr.choice(ref.BORDER_POINTS)
    reason = fr.choice(("ILLEGAL_STAY", "ILLEGAL_WORK", "VIOLATION"))
    return case, decided, code, reason


def _deportation(gen, t, fr, rr, ft, broken) -> str:  # type: ignore[no-untyped-def]
    case, decided, code, reason = _deportation_fact(fr, ft)
    p = gen.person(t.person_id)
    if gen.family(t.feed) == "partner":
        return (
            f"<CaseNumber>{case}</CaseNumber><Reason>{reason}</Reason>"
            f"<DecisionDate>{decided}</DecisionDate><ExecutedAt>{_iso(ft)}</ExecutedAt>"
            f"<DestinationCountry>{p.citizenship}</DestinationCountry>"
        )
    kind = {"ILLEGAL_STAY": "DEPORTATION", "ILLEGAL_WORK": "ADMINISTRATIVE_EXPULSION"}.get(
        reason, "READMISSION"
    )
    return (
        f"<CaseNumber>{case}</CaseNumber><Kind>{kind}</Kind><DecisionDate>{decided}</DecisionDate>"
        f"<ExecutedAt>{_local(ft, 'interior')}</ExecutedAt><BorderPoint>{code}</BorderPoint>"
        f"<DestinationCountry>{p.citizenship}</DestinationCountry>"
    )


def _entry_ban(gen, t, fr, rr, ft, broken) -> str:  # type: ignore[no-untyped-def]
    number = _ref("ЗВ", fr, ft.year)
    decided = ft.date()
    start, end = _validity(decided, 365 * fr.choice((1, 3, 5)), broken)
    reason = fr.choice(("DEPORTED", "REPEATED_VIOLATION", "SECURITY", "FALSE_DATA"))
    if gen.family(t.feed) == "partner":
        reason = {"DEPORTED": "ILLEGAL_STAY", "REPEATED_VIOLATION": "VIOLATION"}.get(
            reason, "SECURITY" if reason == "SECURITY" else "OTHER"
        )
    return (
        f"<BanNumber>{number}</BanNumber><Reason>{reason}</Reason>"
        f"<DecisionDate>{decided}</DecisionDate><ValidFrom>{start}</ValidFrom><ValidTo>{end}</ValidTo>"
    )


def _stay(gen, t, fr, rr, ft, broken) -> str:  # type: ignore[no-untyped-def]
    start, end = _validity(ft.date(), fr.randrange(7, 365), broken)
    street = fr.choice(
        ("Абая", "Достык", "Сейфуллина", "Тауелсиздик", "Байтурсынова", "Республики")
    )
    host = ""
    if fr.random() < 0.4:
        employer = fr.randrange(len(ref.EMPLOYERS))
        host = f"<Host>{escape(ref.EMPLOYERS[employer])}, БИН {_employer_bin(employer)}</Host>"
    return (
        f"<Kato>{_kato(fr, broken)}</Kato><Address>ул. {street}, {fr.randrange(1, 200)}, "
        f"кв. {fr.randrange(1, 300)}</Address><From>{start}</From><To>{end}</To>{host}"
    )


def _residence(gen, t, fr, rr, ft, broken) -> str:  # type: ignore[no-untyped-def]
    decided = ft.date()
    start, end = _validity(decided + timedelta(days=fr.randrange(0, 10)), 3 * 365, broken)
    kind = "PERMANENT" if fr.random() < 0.3 else "TEMPORARY"
    status = fr.choice(("ISSUED", "ISSUED", "ISSUED", "EXTENDED", "REVOKED"))
    return (
        f"<PermitNumber>{_ref('ВНЖ', fr, ft.year)}</PermitNumber><Kind>{kind}</Kind>"
        f"<Status>{status}</Status><DecisionDate>{decided}</DecisionDate>"
        f"<ValidFrom>{start}</ValidFrom><ValidTo>{end}</ValidTo><Kato>{_kato(fr, broken)}</Kato>"
    )


def _citizenship(gen, t, fr, rr, ft, broken) -> str:  # type: ignore[no-untyped-def]
    kind = fr.choice(("ADMISSION", "ADMISSION", "RESTORATION", "RENUNCIATION", "LOSS"))
    outcome = "GRANTED" if fr.random() < 0.8 else "REFUSED"
    prev = gen.person(t.person_id).citizenship
    return (
        f"<DecisionNumber>{_ref('УК', fr, ft.year)}</DecisionNumber><Kind>{kind}</Kind>"
        f"<Outcome>{outcome}</Outcome><DecisionDate>{ft.date()}</DecisionDate>"
        f"<PreviousCitizenship>{prev}</PreviousCitizenship>"
    )


def _violation(gen, t, fr, rr, ft, broken) -> str:  # type: ignore[no-untyped-def]
    kind = fr.choice(("OVERSTAY", "NO_REGISTRATION", "ILLEGAL_WORK", "DOCUMENT", "OTHER"))
    penalty = fr.choice(("WARNING", "FINE", "FINE", "EXPULSION"))
    fine = (
        f"<FineAmount>{fr.choice((5, 10, 20, 30)) * 3932}.00</FineAmount>"
        if penalty == "FINE"
        else ""
    )
    return (
        f"<CaseNumber>{_ref('АП', fr, ft.year)}</CaseNumber><Kind>{kind}</Kind>"
        f"<Article>{fr.choice(ref.VIOLATION_ARTICLES)}</Article>"
        f"<DetectedAt>{_local(ft, 'interior')}</DetectedAt><Kato>{_kato(fr, broken)}</Kato>"
        f"<Penalty>{penalty}</Penalty>{fine}"
    )


def _asylum(gen, t, fr, rr, ft, broken) -> str:  # type: ignore[no-untyped-def]
    origin = gen.person(t.person_id).citizenship
    return (
        f"<ApplicationNumber>{_ref('УБ', fr, ft.year)}</ApplicationNumber>"
        f"<LodgedOn>{ft.date()}</LodgedOn><Kato>{_kato(fr, broken)}</Kato>"
        f"<CountryOfOrigin>{origin}</CountryOfOrigin>"
        f"<FamilyMembers>{fr.randrange(0, 6)}</FamilyMembers>"
    )


def _refugee(gen, t, fr, rr, ft, broken) -> str:  # type: ignore[no-untyped-def]
    outcome = "GRANTED" if fr.random() < 0.3 else "REFUSED"
    validity = ""
    if outcome == "GRANTED" or broken == "validity-order":
        start, end = _validity(ft.date(), 364, broken)
        validity = f"<ValidFrom>{start}</ValidFrom><ValidTo>{end}</ValidTo>"
    return (
        f"<ApplicationNumber>{_ref('УБ', fr, ft.year)}</ApplicationNumber>"
        f"<DecisionNumber>{_ref('РБ', fr, ft.year)}</DecisionNumber><Outcome>{outcome}</Outcome>"
        f"<DecisionDate>{ft.date()}</DecisionDate>{validity}"
    )


def _employer_bin(employer: int) -> str:
    return make_bin(date(2005, 1, 1) + timedelta(days=employer * 397), employer * 7919)


def _work_permit(gen, t, fr, rr, ft, broken) -> str:  # type: ignore[no-untyped-def]
    decided = ft.date()
    start, end = _validity(
        decided + timedelta(days=fr.randrange(1, 20)), fr.choice((90, 180, 364)), broken
    )
    employer = fr.randrange(len(ref.EMPLOYERS))
    bin_ = _employer_bin(employer)
    if broken == "bin-check-digit":
        bin_ = bin_[:11] + str((int(bin_[11]) + 1 + rr.randrange(9)) % 10)
    action = "REVOKED" if fr.random() < 0.08 else fr.choice(("ISSUED", "ISSUED", "EXTENDED"))
    revocation = (
        "<RevocationReason>Нарушение условий разрешения</RevocationReason>"
        if action == "REVOKED"
        else ""
    )
    return (
        f"<PermitNumber>{_ref('РТ', fr, ft.year)}</PermitNumber><Action>{action}</Action>"
        f"<Category>{fr.choice(ref.WORKER_CATEGORIES)}</Category>"
        f"<Employer><BIN>{bin_}</BIN><Name>{escape(ref.EMPLOYERS[employer])}</Name></Employer>"
        f"<Sector>{fr.choice(ref.SECTORS)}</Sector><Kato>{_kato(fr, broken)}</Kato>"
        f"<DecisionDate>{decided}</DecisionDate><ValidFrom>{start}</ValidFrom>"
        f"<ValidTo>{end}</ValidTo>{revocation}"
    )


def _quota(gen, t, fr, rr, ft, broken) -> str:  # type: ignore[no-untyped-def]
    allotted = fr.randrange(10, 5000)
    used = (
        allotted + 1 + fr.randrange(100)
        if broken == "quota-overuse"
        else fr.randrange(allotted + 1)
    )
    sector = "" if broken == "missing-element" else f"<Sector>{fr.choice(ref.SECTORS)}</Sector>"
    return (
        f"<Kato>{_kato(fr, broken)}</Kato>{sector}"
        f"<Category>{fr.choice(ref.WORKER_CATEGORIES)}</Category>"
        f"<Year>{fr.choice(ref.QUOTA_YEARS)}</Year><Allotted>{allotted}</Allotted><Used>{used}</Used>"
        f"<DecisionDate>{ft.date()}</DecisionDate>"
    )


def _kandas_quota(gen, t, fr, rr, ft, broken) -> str:  # type: ignore[no-untyped-def]
    """A region's kandas quota, set for the year of the decision or the next."""
    region = _weighted(fr, ref.KATO_WEIGHTS)
    kato = "990000000" if broken == "kato-region" else ref.kato_code(region)
    persons = "" if broken == "missing-element" else f"<Persons>{fr.randrange(50, 3000)}</Persons>"
    return (
        f"<QuotaYear>{ft.year + fr.choice((0, 1))}</QuotaYear><Kato>{kato}</Kato>{persons}"
        f"<DecisionNumber>{_ref('ПП', fr, ft.year)}</DecisionNumber>"
        f"<DecisionDate>{ft.date()}</DecisionDate>"
    )


def _kandas_admission(gen, t, fr, rr, ft, broken) -> str:  # type: ignore[no-untyped-def]
    origin = fr.choice(("UZB", "CHN", "MNG", "TKM", "RUS", "IRN"))
    status = fr.choice(("ADMITTED", "ADMITTED", "REFUSED", "WAITLISTED"))
    return (
        f"<DecisionNumber>{_ref('КН', fr, ft.year)}</DecisionNumber>"
        f"<QuotaYear>{fr.choice(ref.QUOTA_YEARS)}</QuotaYear><Status>{status}</Status>"
        f"<DecisionDate>{ft.date()}</DecisionDate><CountryOfOrigin>{origin}</CountryOfOrigin>"
        f"<Kato>{_kato(fr, broken)}</Kato><FamilyMembers>{fr.randrange(0, 8)}</FamilyMembers>"
    )


def _kandas_resettlement(gen, t, fr, rr, ft, broken) -> str:  # type: ignore[no-untyped-def]
    return (
        f"<CertificateNumber>{_ref('KC', fr, ft.year)}</CertificateNumber>"
        f"<ProgrammeYear>{fr.choice(ref.QUOTA_YEARS)}</ProgrammeYear>"
        f"<FromKato>{_kato(fr, None)}</FromKato><ToKato>{_kato(fr, broken)}</ToKato>"
        f"<ArrivedOn>{ft.date()}</ArrivedOn><FamilyMembers>{fr.randrange(0, 8)}</FamilyMembers>"
    )


def _citizen_registration(gen, t, fr, rr, ft, broken) -> str:  # type: ignore[no-untyped-def]
    if broken == "kato-region":
        broken = "validity-order"  # partner regions are free text; break the dates instead
    start, end = _validity(ft.date(), fr.randrange(30, 365), broken)
    region, city = fr.choice(
        ref.PARTNER_REGIONS.get(t.feed.split(":", 1)[1], ref.PARTNER_REGIONS["RUS"])
    )
    return (
        f"<Region>{escape(region)}</Region><Address>г. {escape(city)}, ул. Ленина, "
        f"{fr.randrange(1, 150)}</Address><From>{start}</From><To>{end}</To>"
    )


_BODIES = {
    "BorderCrossing": _crossing,
    "StayRegistration": _stay,
    "ResidencePermit": _residence,
    "CitizenshipDecision": _citizenship,
    "Violation": _violation,
    "Deportation": _deportation,
    "EntryBan": _entry_ban,
    "AsylumApplication": _asylum,
    "RefugeeStatusDecision": _refugee,
    "WorkPermit": _work_permit,
    "LabourQuota": _quota,
    "KandasQuota": _kandas_quota,
    "KandasAdmission": _kandas_admission,
    "KandasResettlement": _kandas_resettlement,
    "PartnerBorderNotice": _crossing,
    "PartnerDeportationNotice": _deportation,
    "PartnerEntryBanNotice": _entry_ban,
    "PartnerCitizenRegistration": _citizen_registration,
}

__all__ = [
    "CORRECTION",
    "DUPLICATE",
    "HOSTILE",
    "HOSTILE_RULES",
    "INVALID",
    "INVALID_RULES",
    "NS",
    "VALID",
    "Generator",
    "GeneratorConfig",
    "Person",
    "Rates",
    "Truth",
]
