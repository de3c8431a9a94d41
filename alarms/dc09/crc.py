"""CRC-16/ARC (poly 0x8005 reflected = 0xA001, init 0, no final XOR), PROTOCOLS.md §2.2.

Computed over the raw received bytes, never over decoded text. The table is
generated here (a published DC-07 table has a typo). The receiver computes
two CRCs per frame (the frame's and its ACK's), so the table version is only
the reference: ``fastcrc`` (compiled) does the work, and a test checks both
agree on any input."""

from __future__ import annotations


def _make_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _make_table()


def crc16_arc_table(data: bytes) -> int:
    crc = 0
    table = _TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


try:
    from fastcrc.crc16 import arc as _fast_arc
except ImportError:  # pragma: no cover - fastcrc ships wheels for every supported platform
    _fast_arc = None


def crc16_arc(data: bytes) -> int:
    if _fast_arc is not None:
        return _fast_arc(bytes(data))
    return crc16_arc_table(data)


def crc_hex(data: bytes) -> str:
    return f"{crc16_arc(data):04X}"
