"""Labour connector: REST plus a file drop of batch files (complete, growing, .part, re-sent)."""

from __future__ import annotations

import os
import time

from connectors.filedrop import FileDropConnector
from connectors.labour import LabourConnector
from infra.agencies.filedrop import FileDropWriter
from infra.agencies.generator import Generator, GeneratorConfig, Rates
from tests.support.agencies import FAST_TRANSPORT

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
        age(growing)  # an old but unparseable file still waits (give_up_s not reached)
        assert drain(conn, position)[0] == []
        finish()
        records, position = drain(conn, position)
        assert records == [], "just modified: not settled yet"
        age(growing)
        records, position = drain(conn, position)
        assert records == [], "size and mtime must look the same on two polls in a row"
        records, position = drain(conn, position)
        assert [r.record_id for r in records] == ids(gen, FEED, range(40, 80))

    def test_unparseable_file_handed_on_whole_after_give_up(self, tmp_path) -> None:
        gen = Generator(GeneratorConfig(seed=3))
        writer = FileDropWriter(gen, tmp_path, batch_size=10)
        growing, _finish = writer.write_growing()
        age(growing, 3600)
        records, position = drain(FileDropConnector("labour", tmp_path, give_up_s=600))
        assert len(records) == 1 and records[0].body == growing.read_bytes()
        assert position["done"] == {growing.name: records[0].origin.split("@", 1)[1]}

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
