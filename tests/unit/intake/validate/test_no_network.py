"""Validation never fetches anything: not schemas, not entities, not xsi:schemaLocation hints."""

from __future__ import annotations

import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.contract import SCHEMAS_DIR
from hub.errors import SchemaNotFound
from hub.intake.validate import validate_record
from hub.intake.validate.catalog import SchemaCatalog
from tests.support.examples import EXAMPLES


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        body = b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []
    handler = type("Handler", (_Recorder,), {"hits": hits})
    srv = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", hits
    srv.shutdown()
    srv.server_close()


def test_server_fixture_really_answers(server: tuple[str, list[str]]) -> None:
    import urllib.request

    url, hits = server
    with urllib.request.urlopen(f"{url}/probe.xsd", timeout=5) as response:
        assert response.status == 200
    assert hits == ["/probe.xsd"]


def test_schema_location_hints_are_ignored(server: tuple[str, list[str]]) -> None:
    url, hits = server
    body = (EXAMPLES / "valid" / "interior1-BorderCrossing.xml").read_bytes().replace(
        b'recordId="', b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        b'xsi:schemaLocation="urn:kz:mhub:interior:1 ' + url.encode() + b'/interior.xsd" '
        b'recordId="', 1)
    assert validate_record(body).ok
    assert hits == []


def test_external_entities_and_dtds_are_not_fetched(server: tuple[str, list[str]]) -> None:
    url, hits = server
    for body in (
        f'<!DOCTYPE r SYSTEM "{url}/r.dtd"><r/>'.encode(),
        f'<!DOCTYPE r [<!ENTITY x SYSTEM "{url}/x">]><r>&x;</r>'.encode(),
        f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{url}/p"> %p;]><r/>'.encode(),
    ):
        assert validate_record(body).rules == ("xml.dtd",)
    assert hits == []


def test_xinclude_is_refused_not_processed(server: tuple[str, list[str]]) -> None:
    """The hardened parser refuses XInclude outright (rule xml.xinclude), fetching nothing."""
    url, hits = server
    body = (EXAMPLES / "valid" / "interior1-BorderCrossing.xml").read_bytes().replace(
        b"<Direction>ENTRY</Direction>",
        b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="' + url.encode()
        + b'/part.xml"/>')
    assert validate_record(body).rules == ("xml.xinclude",)
    assert hits == []


def test_schema_import_from_the_network_is_refused(tmp_path: Path,
                                                  server: tuple[str, list[str]]) -> None:
    url, hits = server
    schemas = tmp_path / "schemas"
    shutil.copytree(SCHEMAS_DIR / "common", schemas / "common")
    (schemas / "evil" / "v1").mkdir(parents=True)
    (schemas / "evil" / "v1" / "evil.xsd").write_text(f"""<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:kz:mhub:evil:1">
  <xs:import namespace="urn:remote" schemaLocation="{url}/remote.xsd"/>
  <xs:element name="R" type="xs:string"/>
</xs:schema>""")
    (schemas / "catalog.xml").write_text("""<?xml version="1.0"?>
<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">
  <uri name="urn:kz:mhub:evil:1" uri="evil/v1/evil.xsd"/>
</catalog>""")
    catalog = SchemaCatalog(schemas)
    with pytest.raises(SchemaNotFound) as err:
        catalog.get("urn:kz:mhub:evil:1")
    assert err.value.rule == "schema.import-refused"
    assert hits == []


def test_schema_import_outside_the_folder_is_refused(tmp_path: Path) -> None:
    schemas = tmp_path / "schemas"
    (schemas / "evil" / "v1").mkdir(parents=True)
    (tmp_path / "outside.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:o"/>')
    (schemas / "evil" / "v1" / "evil.xsd").write_text("""<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:kz:mhub:evil:1">
  <xs:import namespace="urn:o" schemaLocation="../../../outside.xsd"/>
  <xs:element name="R" type="xs:string"/>
</xs:schema>""")
    (schemas / "catalog.xml").write_text("""<?xml version="1.0"?>
<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">
  <uri name="urn:kz:mhub:evil:1" uri="evil/v1/evil.xsd"/>
</catalog>""")
    with pytest.raises(SchemaNotFound):
        SchemaCatalog(schemas).get("urn:kz:mhub:evil:1")
