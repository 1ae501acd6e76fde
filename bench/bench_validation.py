"""Validation throughput: the hub's validate stage against xmlschema alone, one core.

A mixed stream is generated from schemas/examples/valid (every record type,
varied record ids, versions, KATO districts and IIN serials with correct check
digits) with a share of invalid records taken from schemas/examples/invalid.
Measured on the same stream in one run:

- hub: ``validate_record`` (hardened parse + lxml XSD compiled once + business rules)
- hub + decode: the above plus ``decode_record`` for the valid ones
- lxml XSD alone: the floor (hardened parse + the compiled ``XMLSchema.validate``,
  no rules, no findings): what any XSD validation on lxml must pay
- xmlschema alone: ``XMLSchema10.is_valid`` on the same documents

The hub's rate is quoted against both, as ratios from this one run; the last
line is ``RESULT ... vs_lxml_xsd=R vs_xmlschema=R``.

Usage: python bench/bench_validation.py [--quick] [--records N]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import xmlschema  # noqa: E402
from lxml import etree  # noqa: E402

from bench.reporting import note, result  # noqa: E402
from hub.contract import SCHEMAS_DIR  # noqa: E402
from hub.intake.decode import decode_record  # noqa: E402
from hub.intake.validate import validate_record  # noqa: E402
from hub.intake.validate.catalog import default_catalog  # noqa: E402
from hub.intake.validate.checksums import iin_check_digit  # noqa: E402

# Share of invalid records in the stream: agencies' real error rates are a few percent.
INVALID_SHARE = 0.05
# xmlschema is over ten times slower than lxml; it validates a sample of the same stream
# so the run stays short (rates are per record, so the ratio is unaffected).
XMLSCHEMA_SAMPLE = 0.1
SEED = 20260301

_RECORD_ID = re.compile(rb'recordId="([^"]+)"')
_IIN = re.compile(rb"<c:IIN>(\d{7})(\d{4})\d</c:IIN>")
_KATO = re.compile(rb"<(Kato|ToKato|FromKato)>(\d\d)\d{7}</")


def _vary(body: bytes, rng: random.Random, n: int) -> bytes:
    body = _RECORD_ID.sub(lambda m: b'recordId="' + m[1] + b"-%07d" % n + b'"', body, count=1)
    body = body.replace(b'version="1"', b'version="%d"' % rng.randint(1, 3), 1)

    def new_iin(m: re.Match[bytes]) -> bytes:
        while True:
            first11 = m[1] + b"%04d" % rng.randint(0, 9999)
            check = iin_check_digit(first11.decode())
            if check is not None:
                return b"<c:IIN>" + first11 + str(check).encode() + b"</c:IIN>"

    body = _IIN.sub(new_iin, body)
    return _KATO.sub(lambda m: b"<%s>%s%07d</" % (m[1], m[2], rng.randint(0, 9999999)), body)


def make_stream(count: int, seed: int = SEED) -> list[bytes]:
    rng = random.Random(seed)
    valid = [p.read_bytes() for p in sorted((SCHEMAS_DIR / "examples/valid").glob("*.xml"))
             if not p.name.startswith("event")]  # events are the hub's output, not input
    invalid = [p.read_bytes() for p in sorted((SCHEMAS_DIR / "examples/invalid").glob("*.xml"))
               if "xml." not in p.name and "schema." not in p.name]
    out = []
    for n in range(count):
        if rng.random() < INVALID_SHARE:
            out.append(rng.choice(invalid))
        else:
            out.append(_vary(rng.choice(valid), rng, n))
    return out


def _rate(label: str, fn: Callable[[bytes], object], stream: list[bytes]) -> float:
    start = time.perf_counter()
    for body in stream:
        fn(body)
    elapsed = time.perf_counter() - start
    rate = len(stream) / elapsed
    print(f"  {label:<34} {len(stream):>8} records {elapsed:8.3f} s {rate:>11,.0f} records/s")
    return rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small run (a few seconds)")
    parser.add_argument("--records", type=int, default=None)
    args = parser.parse_args(argv)
    count = args.records or (3_000 if args.quick else 50_000)
    note(f"generating a stream of {count:,} records ...")
    stream = make_stream(count)
    size = sum(map(len, stream)) / len(stream)
    print(f"stream: {count} records, mean {size:,.0f} bytes, ~{INVALID_SHARE:.0%} invalid; "
          "one core")

    note("compiling the schemas (lxml and xmlschema; not timed) ...")
    catalog = default_catalog()
    lxml_schemas = {ns: catalog.get(ns).schema for ns in catalog.namespaces()}
    xs_schemas = {ns: xmlschema.XMLSchema10(str(path), allow="local")
                  for ns, path in catalog.files.items()}
    parser_ = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    for body in stream[:50]:  # warm up both paths (schema compilation is not measured)
        validate_record(body)
    results = [validate_record(b) for b in stream]
    valid = sum(r.ok for r in results)
    print(f"  valid: {valid}, invalid: {count - valid}")

    def hub_decode(body: bytes) -> object:
        r = validate_record(body)
        return decode_record(r, source="bench", raw_digest="") if r.ok else r

    def lxml_only(body: bytes) -> bool:
        root = etree.fromstring(body, parser_)
        return lxml_schemas[etree.QName(root).namespace].validate(root)

    def xmlschema_only(body: bytes) -> bool:
        root = etree.fromstring(body, parser_)
        return xs_schemas[etree.QName(root).namespace].is_valid(root)

    sample = stream[: max(1, int(count * XMLSCHEMA_SAMPLE))]
    print("throughput:")
    timed = [
        ("hub validate_record", validate_record, stream),
        ("hub validate_record + decode_record", hub_decode, stream),
        ("lxml XSD alone (parse + validate)", lxml_only, stream),
        ("xmlschema is_valid (XSD only)", xmlschema_only, sample),
    ]
    rates = []
    for label, fn, records in timed:
        note(f"timing {label} on {len(records):,} records ...")
        rates.append(_rate(label, fn, records))
    hub, hub_decode_rate, lxml_rate, xs = rates
    print("ratios (same run):")
    print(f"  hub validate / lxml XSD alone (the floor): {hub / lxml_rate:6.2f}x "
          "(1.0 would mean the rules and findings cost nothing)")
    print(f"  hub validate / xmlschema alone:            {hub / xs:6.1f}x")
    result(records=count, hub_rps=hub, hub_decode_rps=hub_decode_rate, lxml_xsd_rps=lxml_rate,
           xmlschema_rps=xs, vs_lxml_xsd=hub / lxml_rate, vs_xmlschema=hub / xs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
