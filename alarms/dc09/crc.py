"""CRC-16/ARC (poly 0x8005 reflected = 0xA001, init 0, no final XOR), PROTOCOLS.md §2.2.

Computed over the raw received bytes, never over decoded text. The table is
generated here (a published DC-07 table has a typo)."""

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


def crc16_arc(data: bytes) -> int:
    crc = 0
    table = _TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


def crc_hex(data: bytes) -> str:
    return f"{crc16_arc(data):04X}"
