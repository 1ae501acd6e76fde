"""Person registry behaviour, the same on SQLite and PostgreSQL (fixture ``store_url``)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

import pytest

from hub.errors import IdentityRace
from hub.intake.identity.model import (
    ConflictKind,
    Document,
    IdKind,
    PersonIdentifiers,
    PersonName,
    from_person_block,
)
from hub.intake.identity.registry import PersonRegistry

DOB = "1990-01-01"


def person(
    iin: str | None = None,
    docs: tuple[tuple[str, str, str], ...] = (),
    names: tuple[tuple[str, str, str], ...] = (("Cyrl", "Ахметов", "Қанат"),),
    dob: str = DOB,
    cit: str = "KAZ",
) -> PersonIdentifiers:
    return PersonIdentifiers(
        iin=iin,
        documents=tuple(Document(*d) for d in docs),
        names=tuple(PersonName(*n) for n in names),
        birth_date=dob,
        citizenship=cit,
    )


@pytest.fixture
def registry(store_url: str) -> Iterator[PersonRegistry]:
    reg = PersonRegistry.open(store_url)
    yield reg
    reg.close()


class TestLinking:
    def test_same_iin_same_person(self, registry: PersonRegistry) -> None:
        first = registry.resolve(person(iin="900101300123"))
        again = registry.resolve(person(iin="900101300123", names=(("Latn", "Akhmetov", "Qanat"),)))
        assert first.created and not again.created
        assert again.person_id == first.person_id

    def test_record_with_two_identifiers_links_them(self, registry: PersonRegistry) -> None:
        both = registry.resolve(person(iin="900101300123", docs=(("P", "KAZ", "N1234567"),)))
        kinds = {link.identifier.kind for link in both.links}
        assert kinds == {IdKind.IIN, IdKind.DOCUMENT, IdKind.NAME}
        by_doc = registry.resolve(person(docs=(("P", "KAZ", "N 123-4567"),), names=()))
        assert by_doc.person_id == both.person_id and not by_doc.created

    def test_uzbek_latin_x_meets_the_cyrillic_spelling(self, registry: PersonRegistry) -> None:
        # The soak's split: a partner notice (passport, Uzbek Latin "Axmedova") came
        # first, the interior record (IIN, Cyrillic "Ахмедова") after it.
        partner = registry.resolve(person(docs=(("P", "UZB", "FF9759664"),),
                                          names=(("Latn", "Axmedova", "Zarina"),), cit="UZB"))
        interior = registry.resolve(person(iin="531022462712", cit="UZB", names=(
            ("Cyrl", "Ахмедова", "Зарина"), ("Latn", "AKHMEDOVA", "ZARINA"))))
        assert interior.person_id == partner.person_id and not interior.created

    def test_iin_only_and_passport_only_meet_by_name_key(self, registry: PersonRegistry) -> None:
        a = registry.resolve(person(iin="900101300123", names=(("Cyrl", "Хасанов", "Юлия"),)))
        b = registry.resolve(person(docs=(("P", "UZB", "AA1234567"),),
                                    names=(("Latn", "KHASANOVA", "IULIIA"),)))
        c = registry.resolve(person(docs=(("P", "UZB", "AA7654321"),),
                                    names=(("Latn", "Hasanov", "Yuliya"),)))
        assert b.person_id != a.person_id  # Khasanova is another surname than Хасанов
        assert c.person_id == a.person_id
        assert any(link.via == "name-key" for link in c.links)

    def test_weak_key_needs_birth_date_and_citizenship(self, registry: PersonRegistry) -> None:
        a = registry.resolve(person(iin="900101300123"))
        b = registry.resolve(person(docs=(("P", "KAZ", "N7654321"),), dob="1990-01-02"))
        c = registry.resolve(person(docs=(("P", "RUS", "7654321"),), cit="RUS"))
        assert len({a.person_id, b.person_id, c.person_id}) == 3


class TestMerges:
    def test_strong_evidence_merges_and_survives_reopen(self, store_url: str) -> None:
        reg = PersonRegistry.open(store_url)
        by_iin = reg.resolve(person(iin="900101300123", names=(("Cyrl", "Ахметов", "Қанат"),)))
        by_doc = reg.resolve(person(docs=(("P", "KAZ", "N1234567"),),
                                    names=(("Latn", "Akhmetova", "Aigul"),)))
        assert by_doc.person_id != by_iin.person_id
        both = reg.resolve(person(iin="900101300123", docs=(("P", "KAZ", "N1234567"),), names=()))
        assert [(m.survivor, m.absorbed) for m in both.merges] == [
            (by_iin.person_id, by_doc.person_id)
        ]
        assert both.person_id == by_iin.person_id and not both.conflicts
        reg.close()

        reopened = PersonRegistry.open(store_url)
        again = reopened.resolve(person(docs=(("P", "KAZ", "N1234567"),), names=()))
        assert again.person_id == by_iin.person_id
        assert reopened.canonical(by_doc.person_id) == by_iin.person_id
        reopened.close()

    def test_merge_is_not_repeated(self, registry: PersonRegistry) -> None:
        registry.resolve(person(iin="900101300123", names=()))
        registry.resolve(person(docs=(("P", "KAZ", "N1234567"),), names=()))
        first = registry.resolve(person(iin="900101300123", docs=(("P", "KAZ", "N1234567"),)))
        second = registry.resolve(person(iin="900101300123", docs=(("P", "KAZ", "N1234567"),)))
        assert len(first.merges) == 1 and second.merges == []


class TestConflicts:
    def test_iin_and_passport_of_two_people_are_flagged(self, registry: PersonRegistry) -> None:
        a = registry.resolve(person(iin="900101300123", names=()))
        b = registry.resolve(person(iin="900101400456", docs=(("P", "KAZ", "N1234567"),), names=()))
        odd = registry.resolve(person(iin="900101300123", docs=(("P", "KAZ", "N1234567"),)))
        assert odd.merges == []
        assert [c.kind for c in odd.conflicts] == [ConflictKind.STRONG_IDS_DISAGREE]
        assert set(odd.conflicts[0].person_ids) == {a.person_id, b.person_id}
        assert odd.person_id == a.person_id  # the IIN's person
        registry.flush()
        assert [r["kind"] for r in registry.reviews()] == ["strong-ids-disagree"]
        # nothing was linked: the passport still belongs to B alone
        assert registry.resolve(person(docs=(("P", "KAZ", "N1234567"),), names=())).person_id \
            == b.person_id

    def test_new_iin_on_a_document_of_another_iin(self, registry: PersonRegistry) -> None:
        a = registry.resolve(person(iin="900101300123", docs=(("P", "KAZ", "N1234567"),)))
        odd = registry.resolve(person(iin="900101400456", docs=(("P", "KAZ", "N1234567"),)))
        assert odd.person_id == a.person_id and not odd.links
        assert [c.kind for c in odd.conflicts] == [ConflictKind.DOCUMENT_IIN_MISMATCH]
        later = registry.resolve(person(iin="900101400456", names=()))
        assert later.created and later.person_id != a.person_id

    def test_strong_key_with_other_birth_date(self, registry: PersonRegistry) -> None:
        a = registry.resolve(person(iin="900101300123"))
        odd = registry.resolve(person(iin="900101300123", docs=(("P", "KAZ", "N1"),),
                                      dob="1991-01-01"))
        assert odd.person_id == a.person_id
        assert [c.kind for c in odd.conflicts] == [ConflictKind.BIRTH_DATE_MISMATCH]
        assert odd.links == []

    def test_merge_refused_on_birth_dates(self, registry: PersonRegistry) -> None:
        registry.resolve(person(iin="900101300123", names=()))
        registry.resolve(person(docs=(("P", "KAZ", "N1234567"),), names=(), dob="1990-02-02"))
        odd = registry.resolve(person(iin="900101300123", docs=(("P", "KAZ", "N1234567"),),
                                      names=(), dob=""))
        assert odd.merges == []
        assert [c.kind for c in odd.conflicts] == [ConflictKind.BIRTH_DATE_MISMATCH]


class TestNamesakes:
    def test_different_iins_never_merge_by_name(self, registry: PersonRegistry) -> None:
        a = registry.resolve(person(iin="900101300123"))
        b = registry.resolve(person(iin="900101300999", names=(("Latn", "AKHMETOV", "KANAT"),)))
        assert b.person_id != a.person_id and b.created
        assert [c.kind for c in b.conflicts] == [ConflictKind.NAME_KEY_COLLISION]
        # A document-only record with that name now fits two people: no guess.
        c = registry.resolve(person(docs=(("P", "KAZ", "N5555555"),)))
        assert c.person_id not in {a.person_id, b.person_id}
        assert [k.kind for k in c.conflicts] == [ConflictKind.NAME_KEY_AMBIGUOUS]

    def test_other_passport_of_same_state_is_another_person(self, registry: PersonRegistry) -> None:
        a = registry.resolve(person(docs=(("P", "RUS", "7700111"),), cit="RUS"))
        b = registry.resolve(person(docs=(("P", "RUS", "7700222"),), cit="RUS"))
        assert a.person_id != b.person_id
        assert [c.kind for c in b.conflicts] == [ConflictKind.NAME_KEY_COLLISION]


class TestStability:
    def test_ids_are_deterministic(self, store_url: str, tmp_path) -> None:
        records = [
            person(iin="900101300123", names=(("Cyrl", "Щукина", "Юлия"),)),
            person(docs=(("P", "RUS", "7700111"),), names=(("Latn", "Shchukina", "Yulia"),)),
            person(docs=(("P", "RUS", "7700222"),), names=(("Latn", "Ivanov", "Ivan"),), cit="RUS"),
        ]
        one = PersonRegistry.open(store_url)
        other = PersonRegistry.open(tmp_path / "other.db")
        assert [r.person_id for r in one.resolve_many(records)] == [
            r.person_id for r in other.resolve_many(records)
        ]
        one.close()
        other.close()

    def test_discard_pending_forgets_unflushed(self, registry: PersonRegistry) -> None:
        registry.resolve(person(iin="900101300123"))
        registry.flush()
        registry.resolve(person(iin="900101300999", names=()))
        registry.discard_pending()
        assert registry.resolve(person(iin="900101300999", names=())).created
        assert not registry.resolve(person(iin="900101300123")).created

    def test_flushes_in_batches(self, store_url: str) -> None:
        reg = PersonRegistry.open(store_url, flush_every=10)
        for n in range(25):
            reg.resolve(person(iin=f"9001013{n:05d}", names=()))
        assert len(reg._pending.new_persons) == 5  # two batches already committed
        reg.close()
        fresh = PersonRegistry.open(store_url)
        assert not fresh.resolve(person(iin="900101300003", names=())).created
        fresh.close()


def test_from_person_block() -> None:
    ids = from_person_block(
        iin="900101300123",
        documents=[("P", "KAZ", "N1234567", "2030-01-01")],
        names=[("Cyrl", "Ахметов", "Қанат Ерланұлы", None), ("Latn", "AKHMETOV", "KANAT", None)],
        birth_date="1990-01-01",
        citizenship="KAZ",
    )
    assert [str(i) for i in ids.strong_identifiers()] == ["iin:900101300123", "doc:KAZ:N1234567"]
    assert [str(k) for k in ids.name_keys()] == ["name:AHMETOV|KANAT|1990-01-01|KAZ"]


class TestTwoWriters:
    """Two stage-1 processes (two sources) share the registry; each resolves a page in
    memory and writes it at its commit. The soak's split: the interior record (IIN +
    passport) and the partner's notice (the same passport) of one crossing, resolved at
    once, made two persons, and the loser's binding was dropped without a word."""

    def test_identifier_bound_by_another_writer_first(self, store_url: str) -> None:
        interior, partner = PersonRegistry.open(store_url), PersonRegistry.open(store_url)
        doc = (("P", "UZB", "FX6524445"),)
        by_interior = interior.resolve(person(iin="751229479768", docs=doc, cit="UZB",
                                              names=(("Cyrl", "Рахимова", "Малика"),)))
        notice = person(docs=doc, names=(("Latn", "RAXIMOVA", "MALIKA"),), cit="UZB")
        first = partner.resolve(notice)
        assert first.person_id != by_interior.person_id  # neither has seen the other
        interior.flush()
        with pytest.raises(IdentityRace) as race:
            partner.flush()
        assert race.value.idents == ["doc:UZB:FX6524445"]
        # nothing of the refused write landed; judged again, the notice meets the person
        assert partner.store.get_persons([first.person_id]) == {}
        again = partner.resolve(notice)
        assert again.person_id == by_interior.person_id and not again.created
        partner.flush()
        assert interior.resolve(notice).person_id == by_interior.person_id
        interior.close()
        partner.close()

    def test_a_writer_holding_the_lock_cannot_lose(self, store_url: str) -> None:
        """A stage 1 on its last attempt holds the registry's writes while it judges its
        page: another writer that resolved the same new passport first must wait, and
        lose, instead of taking the identifier from under it."""
        holder, other = PersonRegistry.open(store_url), PersonRegistry.open(store_url)
        doc = (("P", "UZB", "FX6524445"),)
        notice = person(docs=doc, names=(("Latn", "RAXIMOVA", "MALIKA"),), cit="UZB")
        record = person(iin="751229479768", docs=doc, cit="UZB",
                        names=(("Cyrl", "Рахимова", "Малика"),))
        assert other.resolve(notice).created  # resolved first, not yet written
        holder.store.hold_writes()
        writing, outcome = threading.Event(), queue.Queue[BaseException | None]()

        def write_other() -> None:
            writing.set()
            try:
                other.flush()
            except BaseException as exc:  # handed to the test thread
                outcome.put(exc)
            else:
                outcome.put(None)

        writer = threading.Thread(target=write_other)
        writer.start()
        writing.wait()
        writer.join(timeout=1.0)
        assert writer.is_alive(), "the other writer did not wait for the held lock"
        mine = holder.resolve(record)
        assert mine.created
        holder.flush()  # commits, and so releases the lock
        holder.store.release()
        writer.join()
        race = outcome.get_nowait()
        assert isinstance(race, IdentityRace) and race.idents == ["doc:UZB:FX6524445"]
        assert holder.store.get_strong(["doc:UZB:FX6524445"])["doc:UZB:FX6524445"][0] == (
            mine.person_id
        )
        holder.close()
        other.close()

    def test_release_keeps_what_ran_while_holding(self, store_url: str) -> None:
        """Nothing to write: release() ends the hold and other writers go on."""
        holder, other = PersonRegistry.open(store_url), PersonRegistry.open(store_url)
        holder.store.hold_writes()
        holder.flush()  # an empty batch writes nothing and keeps the lock
        holder.store.release()
        created = other.resolve(person(iin="900101300003", names=()))
        other.flush()  # does not wait: the lock is free
        assert holder.resolve(person(iin="900101300003", names=())).person_id == (
            created.person_id
        )
        holder.close()
        other.close()
