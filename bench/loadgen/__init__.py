"""Load generators for bench/load.py, each run as its own process (the GIL would
otherwise make the generators, not ARC, the bottleneck):

- ``senders``: asyncio DC-09 panels (periodic NULL polls, alarm events, storm),
  recording every ACK latency;
- ``fleet``: many console WebSockets, recording when each feed event reached
  the first and the last screen.
"""
