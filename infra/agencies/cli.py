"""Agency simulators (``python -m infra.agencies.cli``): serve them, or print a record's fate.

python -m infra.agencies.cli serve --port 8700 --seed 42 --interior 100000 --partner 20000
python -m infra.agencies.cli truth interior 734112
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from infra.agencies.faults import FaultPlan
from infra.agencies.generator import Generator, GeneratorConfig, Rates
from infra.agencies.reference import PARTNER_STATES
from infra.agencies.server import AgencySimulator, TlsFiles


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    serve = sub.add_parser("serve", help="run the four agency families on one port")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8700, help="0: any free port (printed)")
    _generator_args(serve)
    serve.add_argument("--interior", type=int, default=10_000, help="interior records published")
    serve.add_argument("--labour", type=int, default=2_000, help="labour REST records published")
    serve.add_argument("--partner", type=int, default=2_000, help="messages queued per partner")
    serve.add_argument("--partner-states", default=",".join(PARTNER_STATES))
    serve.add_argument("--statistics-periods", type=int, default=24, help="months published")
    serve.add_argument("--drop-dir", type=Path, help="labour file-drop directory to write into")
    serve.add_argument("--drop-files", type=int, default=0, help="batch files written at start")
    serve.add_argument("--lease", type=float, default=60.0, help="partner redelivery lease (s)")
    serve.add_argument("--faults", default="", help='fault plan JSON, e.g. {"rates": {"500": 0.1}}')
    serve.add_argument("--tls-cert", help="server certificate (PEM): serve HTTPS")
    serve.add_argument("--tls-key", help="server key (PEM)")
    serve.add_argument("--tls-client-ca", help="require client certificates from this CA (mTLS)")
    serve.add_argument("--sign-with", type=Path, help="dev PKI directory: partners sign documents")
    serve.add_argument("--verbose", action="store_true")
    truth = sub.add_parser("truth", help="ground truth of records (JSON lines)")
    _generator_args(truth)
    truth.add_argument("feed", help="interior, labour, labour-files, partner:UZB ...")
    truth.add_argument("index", type=int, nargs="+")


_DEFAULT_RATES = Rates()


def _generator_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--population", type=int, default=200_000)
    p.add_argument("--duplicate-rate", type=float, default=_DEFAULT_RATES.duplicate)
    p.add_argument("--correction-rate", type=float, default=_DEFAULT_RATES.correction)
    p.add_argument("--invalid-rate", type=float, default=_DEFAULT_RATES.invalid)
    p.add_argument("--hostile-rate", type=float, default=_DEFAULT_RATES.hostile)


def _generator(args: argparse.Namespace) -> Generator:
    rates = Rates(
        duplicate=args.duplicate_rate,
        correction=args.correction_rate,
        invalid=args.invalid_rate,
        hostile=args.hostile_rate,
    )
    return Generator(GeneratorConfig(seed=args.seed, population=args.population, rates=rates))


def run(args: argparse.Namespace) -> int:
    gen = _generator(args)
    if args.action == "truth":
        for i in args.index:
            print(json.dumps(asdict(gen.ground_truth(args.feed, i)), ensure_ascii=False))
        return 0
    counts: dict[str, Any] = {"interior": args.interior, "labour": args.labour}
    for state in filter(None, args.partner_states.split(",")):
        counts[f"partner:{state.strip().upper()}"] = args.partner
    tls = TlsFiles(args.tls_cert, args.tls_key, args.tls_client_ca) if args.tls_cert else None
    signer = None
    if args.sign_with:
        from infra.agencies.signing import partner_signer
        from security.pki import DevPki

        signer = partner_signer(DevPki.open(args.sign_with))
    sim = AgencySimulator(
        gen,
        host=args.host,
        port=args.port,
        tls=tls,
        verbose=args.verbose,
        counts=counts,
        statistics_periods=args.statistics_periods,
        signer=signer,
        lease_s=args.lease,
        drop_dir=args.drop_dir,
    )
    if args.faults:
        sim.set_faults(FaultPlan.from_dict(json.loads(args.faults)))
    if sim.state.filedrop is not None and args.drop_files:
        sim.state.filedrop.write(args.drop_files)
    print(json.dumps({"url": sim.url, "counts": counts}), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        sim.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        sim.httpd.server_close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.agencies.cli", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
