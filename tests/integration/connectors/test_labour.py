"""Labour connector: REST plus a file drop of batch files (complete, growing, .part, re-sent)."""

from __future__ import annotations

import os
import time

from connectors.filedrop import FileDropConnector
from connectors.labour import LabourConnector
from infra.agencies.filedrop import FileDropWriter
from infra.agencies.generator import Generator, GeneratorConfig, Rates
from tests.support.agencies import FAST_TRANSPORT
from tests.support.reliability import record_outcome

FEED = "labour-files"


def drain(conn, position=None):
    records = []
    for page in conn.pages(position, max_pages=1000):
        records += page.records
        position = page.position
    return records, position


def ids(gen: Generator, feed: str, indices) -> list[str]:
    return [gen.ground_truth(feed, i).record_id for i in indices]


def age(path, seconds: float = 30.0) -> None:
    """Make a file look as if it was written ``seconds`` ago (settled)."""
    t = time.time() - seconds
    os.utime(path, (t, t))


class TestFileDrop:
    def test_complete_files_once_in_pages(self, tmp_path) -> None:
        gen = Generator(GeneratorConfig(seed=3))
        writer = FileDropWriter(gen, tmp_path, batch_size=70)
        for p in writer.write(3):
            age(p)
        conn = FileDropConnector("labour", tmp_path, page_size=25)
        records, position = drain(conn)
        assert [r.record_id for r in records] == ids(gen, FEED, range(210))
        assert sorted(position["done"]) == [writer.name(b) for b in range(3)]
        again, _ = drain(conn, position)
        assert again == []  # already-seen files (same name and digest) are skipped

    def test_growing_and_part_files_wait_until_complete(self, tmp_path) -> None:
        gen = Generator(GeneratorConfig(seed=3))
        writer = FileDropWriter(gen, tmp_path, batch_size=40)
        part = writer.write_abandoned()  # batch 0: NAME.xml.part, never renamed
        growing, finish = writer.write_growing()  # batch 1: final name, half written
        age(part)
        conn = FileDropConnector("labour", tmp_path, page_size=100, settle_s=0.5)
        records, position = drain(conn)
        assert records == [], "neither the .part file nor the half-written file is consumed"
        finish()
        records, position = drain(conn, position)
        assert records == [], "just modified: not settled yet"
        age(growing)
        records, position = drain(conn, position)
        assert records == [], "size and mtime must look the same on two polls in a row"
        records, position = drain(conn, position)
        assert [r.record_id for r in records] == ids(gen, FEED, range(40, 80))

    def test_truncated_file_keeps_complete_records_and_reports_at_once(self, tmp_path) -> None:
        gen = Generator(GeneratorConfig(seed=3))
        writer = FileDropWriter(gen, tmp_path, batch_size=10)
        growing, _finish = writer.write_growing()  # cut in the middle of a record
        age(growing)  # settled: no upload is touching it
        conn = FileDropConnector("labour", tmp_path, page_size=4)
        pages = list(conn.pages(None, max_pages=100))
        records = [r for p in pages for r in p.records]
        notices = [n for p in pages for n in p.notices]
        kept = {r.record_id for r in records[:-1]}
        complete = ids(gen, FEED, range(len(records) - 1))
        assert 0 < len(kept) < 10 and [r.record_id for r in records[:-1]] == complete
        broken = records[-1]  # cut inside its start tag: named by its place in the file
        assert broken.record_id == f"file:{growing.name}#{len(records) - 1}"
        assert growing.read_bytes().endswith(broken.body) and broken.body.lstrip().startswith(b"<")
        assert b"</Batch>" not in broken.body and len(broken.body) < len(growing.read_bytes()) / 2
        assert len(notices) == 1 and "damaged" in notices[0] and broken.record_id in notices[0]
        record_outcome("file drop", "batch file truncated mid-record",
                       f"{len(kept)} complete records kept at once; the broken part quarantined "
                       f"under its own record id; the run's notices say so")

    def test_record_cut_after_its_start_tag_keeps_its_record_id(self, tmp_path) -> None:
        gen = Generator(GeneratorConfig(seed=3))
        writer = FileDropWriter(gen, tmp_path, batch_size=8)
        (path,) = writer.write(1)
        data = path.read_bytes()
        third = ids(gen, FEED, [3])[0]
        path.write_bytes(data[: data.index(f'recordId="{third}"'.encode()) + 200])
        age(path)
        records, _ = drain(FileDropConnector("labour", tmp_path))
        assert [r.record_id for r in records] == [*ids(gen, FEED, range(3)), third]
        assert records[-1].body.count(b"recordId=") == 1

    def test_damaged_file_quarantined_by_validation_only_in_its_broken_part(
        self, tmp_path
    ) -> None:
        from hub.intake.validate.validator import validate_record

        gen = Generator(GeneratorConfig(seed=3))
        writer = FileDropWriter(gen, tmp_path, batch_size=6)
        (path,) = writer.write(1)
        path.write_bytes(path.read_bytes() + b"<garbage")  # damaged after the batch
        age(path)
        records, _ = drain(FileDropConnector("labour", tmp_path))
        assert [r.record_id for r in records[:6]] == ids(gen, FEED, range(6))
        assert records[6].record_id == f"file:{path.name}#6"
        assert records[6].body.strip() == b"</Batch>\n<garbage"
        rules = {f.rule for r in records[:6] for f in validate_record(r.body).findings}
        assert "xml.malformed" not in rules  # the complete records parse on their own
        assert validate_record(records[6].body).findings[0].rule == "xml.malformed"
        record_outcome("file drop", "garbage appended after a complete batch",
                       "all 6 records kept; the tail alone quarantined as file:NAME#6")

    def test_unreadable_file_is_a_notice_not_a_failure(self, tmp_path) -> None:
        gen = Generator(GeneratorConfig(seed=3))
        writer = FileDropWriter(gen, tmp_path, batch_size=5)
        for p in writer.write(2):
            age(p)
        # A regular file whose read fails with EIO, even for root (tests run as root).
        (tmp_path / "zz-unreadable.xml").symlink_to("/proc/self/mem")
        conn = FileDropConnector("labour", tmp_path, clock=lambda: time.time() + 3600)
        pages = list(conn.pages(None, max_pages=100))
        assert sum(len(p.records) for p in pages) == 10
        notices = [n for p in pages for n in p.notices]
        assert notices and all("zz-unreadable.xml cannot be read" in n for n in notices)
        assert "zz-unreadable.xml" not in pages[-1].position["done"]  # retried next time
        record_outcome("file drop", "unreadable file beside good ones",
                       "good files read; the unreadable one reported at once as a run notice "
                       "and retried on the next poll")

    def test_hostile_file_handed_on_whole_at_once(self, tmp_path) -> None:
        gen = Generator(GeneratorConfig(seed=5, rates=Rates(hostile=0.2, correction=0, invalid=0)))
        writer = FileDropWriter(gen, tmp_path, batch_size=20)
        for p in writer.write(1):
            age(p)
        records, _ = drain(FileDropConnector("labour", tmp_path))
        hostile = [i for i in range(20) if gen.kind(FEED, i)[0] == "hostile"]
        assert hostile
        bodies = {r.body for r in records}
        for i in hostile:
            assert gen.record(FEED, i) in bodies
        assert len(records) == 20

    def test_resent_file_with_new_content_is_read_again(self, tmp_path) -> None:
        gen = Generator(GeneratorConfig(seed=3))
        writer = FileDropWriter(gen, tmp_path, batch_size=5)
        (path,) = writer.write(1)
        age(path)
        conn = FileDropConnector("labour", tmp_path)
        first, position = drain(conn)
        assert len(first) == 5
        path.write_bytes(path.read_bytes().replace(b"</Batch>", b"<!-- corrected --></Batch>"))
        age(path)
        second, _ = drain(FileDropConnector("labour", tmp_path), position)  # the next run
        assert [r.record_id for r in second] == [r.record_id for r in first]

    def test_crash_mid_file_resumes_at_offset(self, tmp_path) -> None:
        gen = Generator(GeneratorConfig(seed=3))
        writer = FileDropWriter(gen, tmp_path, batch_size=90)
        for p in writer.write(2):
            age(p)
        conn = FileDropConnector("labour", tmp_path, page_size=20)
        pages = conn.pages(None)
        got = []
        committed = None
        for _ in range(6):  # into the second file
            page = next(pages)
            got += page.records
            committed = page.position
        next(pages)  # pulled, never committed
        rest, _ = drain(FileDropConnector("labour", tmp_path, page_size=20), committed)
        assert [r.record_id for r in got + rest] == ids(gen, FEED, range(180))

    def test_vanished_files_are_pruned_from_the_position(self, tmp_path) -> None:
        gen = Generator(GeneratorConfig(seed=3))
        writer = FileDropWriter(gen, tmp_path, batch_size=5)
        paths = writer.write(2)
        for p in paths:
            age(p)
        _, position = drain(FileDropConnector("labour", tmp_path))
        paths[0].unlink()
        _, position = drain(FileDropConnector("labour", tmp_path), position)
        assert list(position["done"]) == [paths[1].name]


class TestLabourSource:
    def test_rest_then_files_then_incremental(self, make_simulator, tmp_path) -> None:
        sim = make_simulator(counts={"labour": 60}, drop_dir=tmp_path, drop_batch=30)
        gen = sim.generator
        for p in sim.state.filedrop.write(2):
            age(p)
        conn = LabourConnector(
            "labour", sim.url + "/labour", tmp_path, page_size=25, transport=FAST_TRANSPORT
        )
        records, position = drain(conn)
        assert [r.record_id for r in records] == ids(gen, "labour", range(60)) + ids(
            gen, FEED, range(60)
        )
        sim.grow("labour", 10)
        for p in sim.state.filedrop.write(1):
            age(p)
        more, _ = drain(conn, position)
        assert [r.record_id for r in more] == ids(gen, "labour", range(60, 70)) + ids(
            gen, FEED, range(60, 90)
        )

    def test_kandas_quotas_come_through_both_channels(self, make_simulator, tmp_path) -> None:
        """KandasQuota (no person) is served by the REST feed and in batch files alike, as the
        agency sent it: valid ones valid, labelled invalid ones failing their rule."""
        from hub.intake.validate.validator import validate_record

        sim = make_simulator(counts={"labour": 400}, drop_dir=tmp_path, drop_batch=200)
        gen = sim.generator
        for p in sim.state.filedrop.write(2):
            age(p)
        conn = LabourConnector(
            "labour", sim.url + "/labour", tmp_path, page_size=100, transport=FAST_TRANSPORT
        )
        records, _ = drain(conn)
        truths = {
            t.record_id: t
            for feed in ("labour", FEED)
            for t in (gen.ground_truth(feed, i) for i in range(400))
        }
        quotas = [r for r in records if truths[r.record_id].record_type == "KandasQuota"]
        channels = {r.record_id.startswith("MTSZN-F-") for r in quotas}
        assert channels == {True, False}, "KandasQuota missing from one channel"
        for r in quotas:
            t = truths[r.record_id]
            result = validate_record(r.body, source="labour", record_id=r.record_id)
            assert t.person_id is None and b"<c:Person>" not in r.body
            if t.outcome in ("valid", "correction"):
                assert result.ok, [str(f) for f in result.findings]
            elif t.rule is not None:
                assert t.rule in {f.rule for f in result.findings}
