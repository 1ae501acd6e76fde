"""The labour ministry: REST (permits, labour and kandas quotas, kandas) plus a file drop.

One source, two channels. A poll pages the REST feed until its scan ends, then
the drop directory until no complete file is left; the position holds both
channels' positions and which one is being drained::

Window (backfill): both channels read the window (REST by ``updatedAt``, files
by their modification time).

    {"phase": "rest" | "files",
     "rest": {...RestPageConnector position...},
     "files": {...FileDropConnector position...}}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connectors.base import Page, Position, SourceConnector, Window
from connectors.filedrop import FileDropConnector
from connectors.http import TransportConfig
from connectors.rest import DEFAULT_PAGE_SIZE, RestPageConnector


class LabourRestConnector(RestPageConnector):
    family = "labour"
    path = "/records"


class LabourConnector(SourceConnector):
    family = "labour"

    def __init__(
        self,
        source: str,
        endpoint: str | None,
        drop_dir: str | Path | None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        transport: TransportConfig | None = None,
        window: Window | None = None,
        **drop_options: Any,
    ) -> None:
        super().__init__(source)
        self.window = window
        if endpoint is None and drop_dir is None:
            raise ValueError("the labour source needs an endpoint, a drop directory, or both")
        self.rest = (
            LabourRestConnector(
                source, endpoint, page_size=page_size, transport=transport, window=window
            )
            if endpoint
            else None
        )
        self.files = (
            FileDropConnector(
                source, drop_dir, page_size=page_size, window=window, **drop_options
            )
            if drop_dir
            else None
        )

    def start(self) -> None:
        if self.rest:
            self.rest.start()

    def stop(self) -> None:
        if self.rest:
            self.rest.stop()

    def poll(self, position: Position | None) -> Page:
        pos = dict(position or {})
        phase = pos.get("phase") or ("rest" if self.rest else "files")
        sub_rest, sub_files = pos.get("rest"), pos.get("files")
        if phase == "rest" and self.rest is not None:
            page = self.rest.poll(sub_rest)
            sub_rest = page.position
            next_phase = "files" if page.exhausted and self.files else "rest"
            exhausted = page.exhausted and self.files is None
        else:
            assert self.files is not None
            page = self.files.poll(sub_files)
            sub_files = page.position
            next_phase = "rest" if page.exhausted and self.rest else "files"
            exhausted = page.exhausted
        new_pos = {"phase": next_phase, "rest": sub_rest, "files": sub_files}
        return Page(page.records, new_pos, exhausted=exhausted, notices=page.notices)
