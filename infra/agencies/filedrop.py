"""The labour ministry's file drop: XML batch files appearing in a directory.

Batch ``j`` holds entries ``[j*B, (j+1)*B)`` of the ``labour-files`` feed in a
``<Batch>`` envelope (no namespace), named ``MTSZN_BATCH_{j:06d}.xml``. Files are
written the way an SFTP upload lands: first as ``NAME.part``, renamed when
complete. A hostile entry cannot sit inside a batch (its DOCTYPE must open the
document), so it is dropped as a file of its own, ``MTSZN_BATCH_{j:06d}_{i}.xml``.

Faults for tests: :meth:`FileDropWriter.write_growing` leaves a batch under its
final name but incomplete (an upload still in progress) and returns the
function that finishes it; :meth:`FileDropWriter.write_abandoned` leaves a
``.part`` file that is never renamed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from infra.agencies.generator import HOSTILE, Generator

FEED = "labour-files"
PART_SUFFIX = ".part"


class FileDropWriter:
    def __init__(self, generator: Generator, directory: Path, batch_size: int = 200) -> None:
        self.generator = generator
        self.directory = Path(directory)
        self.batch_size = batch_size
        self.next_batch = 0
        self.directory.mkdir(parents=True, exist_ok=True)

    def name(self, batch: int) -> str:
        return f"MTSZN_BATCH_{batch:06d}.xml"

    def render(self, batch: int) -> tuple[bytes, list[tuple[str, bytes]]]:
        """(batch file bytes, [(name, bytes)] of hostile entries dropped separately)."""
        gen = self.generator
        first = batch * self.batch_size
        body = [
            b'<?xml version="1.0" encoding="UTF-8"?>\n'
            + f'<Batch number="{batch}" first="{first}">\n'.encode()
        ]
        loose: list[tuple[str, bytes]] = []
        for i in range(first, first + self.batch_size):
            doc = gen.record(FEED, i)
            if gen.kind(FEED, i)[0] == HOSTILE:
                loose.append((f"MTSZN_BATCH_{batch:06d}_{i}.xml", doc))
            else:
                body.append(doc + b"\n")
        body.append(b"</Batch>\n")
        return b"".join(body), loose

    def _atomic(self, name: str, data: bytes) -> Path:
        final = self.directory / name
        part = final.with_name(name + PART_SUFFIX)
        part.write_bytes(data)
        os.replace(part, final)
        return final

    def write(self, files: int = 1) -> list[Path]:
        """Write the next ``files`` batches completely (plus any hostile entries)."""
        written: list[Path] = []
        for _ in range(files):
            data, loose = self.render(self.next_batch)
            written.append(self._atomic(self.name(self.next_batch), data))
            written += [self._atomic(n, d) for n, d in loose]
            self.next_batch += 1
        return written

    def write_growing(self) -> tuple[Path, Callable[[], Path]]:
        """Write half of the next batch under its final name; return the finisher."""
        batch = self.next_batch
        self.next_batch += 1
        data, _loose = self.render(batch)
        path = self.directory / self.name(batch)
        path.write_bytes(data[: len(data) // 2])

        def finish() -> Path:
            with path.open("ab") as fh:
                fh.write(data[len(data) // 2 :])
            return path

        return path, finish

    def write_abandoned(self) -> Path:
        """An upload that never completed: a ``.part`` file that is never renamed."""
        batch = self.next_batch
        self.next_batch += 1
        data, _ = self.render(batch)
        path = self.directory / (self.name(batch) + PART_SUFFIX)
        path.write_bytes(data[: len(data) // 3])
        return path
