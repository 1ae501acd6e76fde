"""``mhub sdmx FILE``: the observations the hub makes of an SDMX-ML data message.

One JSON object per line and observation: ``key`` holds every dimension of the
full key (the observation-level one included, in the DSD's order when
``--dimensions`` is given), then ``period`` (wherever the time dimension sat),
``value``, ``attributes`` and, for explicit measures, ``measure``. The bureau's
integrators use it to see how the hub reads their files; the statistics
connector reads them with the same parser.

Exit codes: 0 read; 1 the file is an SDMX error message (its code and text on
stderr); 2 the file cannot be read or is not an SDMX data message.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from connectors.errors import MalformedDocument
from connectors.sdmx import Observation, SdmxErrorMessage, parse_sdmx
from security.errors import UnsafeXmlError

EXIT_OK, EXIT_SDMX_ERROR, EXIT_UNREADABLE = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE", help="an SDMX-ML 2.0 or 2.1 message")
    parser.add_argument(
        "--dimensions", default="",
        help="the DSD's dimension ids, comma-separated, to tell dimensions from attributes "
             "in structure-specific and compact messages (default: as the message shows them)")


def observation_json(obs: Observation) -> dict[str, object]:
    """An observation as the hub reads it (the shape ``mhub sdmx`` prints)."""
    out: dict[str, object] = {"dataset": obs.dataset, "key": dict(obs.key),
                              "period": obs.period, "value": obs.value,
                              "attributes": obs.attributes}
    if obs.measure:
        out["measure"] = obs.measure
    return out


def run(args: argparse.Namespace) -> int:
    dims = tuple(d.strip() for d in args.dimensions.split(",") if d.strip()) or None
    try:
        with args.file.open("rb") as fh:
            stream = parse_sdmx(fh, dimensions=dims)
            for obs in stream:
                print(json.dumps(observation_json(obs), ensure_ascii=False))
    except OSError as exc:
        print(f"{args.file}: cannot read: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    except SdmxErrorMessage as exc:
        print(f"{args.file}: SDMX error message, code {exc.code}: {exc.text}", file=sys.stderr)
        return EXIT_SDMX_ERROR
    except (MalformedDocument, UnsafeXmlError) as exc:  # not an SDMX message, or refused
        print(f"{args.file}: {exc.rule}: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    for code, text in stream.footer:
        print(f"{args.file}: footer message {code}: {text}", file=sys.stderr)
    print(f"{stream.observation_count} observation(s) in {stream.series_count} series "
          f"of {stream.dataset_count} data set(s)", file=sys.stderr)
    return EXIT_OK
