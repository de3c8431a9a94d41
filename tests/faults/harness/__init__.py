"""The fault-injection harness, shared by tests/faults/ and bench/.

- ``dc09``: an independent SIA DC-09 sender (frames built here from
  PROTOCOLS.md sections 2-3, not with the receiver's own code) that keeps a
  ledger of every frame a receiver ACKed, with failover between receivers.
- ``cluster``: a private PostgreSQL and Redis (arc.embedded, free ports, a
  temporary directory) and ARC's real processes against them, to start, stop,
  kill and restart.
- ``console``: a console WebSocket client speaking the ``ws/console/`` protocol,
  logged in through the real login form.
"""
