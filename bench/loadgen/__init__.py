"""Load generators for bench/load.py, each run as its own process (the GIL would
otherwise make the generators, not ARC, the bottleneck):

- ``senders``: asyncio DC-09 panels (periodic NULL polls, alarm events, storm),
  recording every ACK latency;
- ``fleet``: many console WebSockets, recording when each feed event reached
  the first and the last screen.
"""

import argparse
import asyncio
import json
from pathlib import Path


def run(main_async) -> None:
    """The command line of every generator: ``--spec`` (JSON written by bench/load.py)
    and ``--out`` (where the generator writes its figures)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--spec", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    asyncio.run(main_async(json.loads(Path(args.spec).read_text()), Path(args.out)))
