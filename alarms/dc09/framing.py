"""Stream framing of DC-09 (PROTOCOLS.md §2.3, §2.10).

A frame is ``LF CRC(4) 0LLL span CR``; the length field, not a scan for CR,
says where it ends (the binary-CRC variant may carry CR bytes in its CRC).
``FrameBuffer`` keeps one connection's partial bytes, returns every complete
frame in order, and reports corrupt or oversized input so it can be logged;
it resynchronises on the next LF.
"""

from __future__ import annotations

from dataclasses import dataclass

LF = 0x0A
CR = 0x0D
MAX_SPAN = 0xFFF
MAX_FRAME = 1 + 4 + 4 + MAX_SPAN + 1  # 4105 bytes
_HEX = frozenset(b"0123456789ABCDEFabcdef")


@dataclass(slots=True)
class Chunk:
    """One framing result: a complete frame (``error`` empty) or a framing error."""

    raw: bytes
    error: str = ""
    binary_crc: bool = False


def _length_at(buf, pos: int) -> int:
    """The span length of a ``0LLL`` field at ``pos``, or -1."""
    field = buf[pos:pos + 4]
    if len(field) < 4 or field[0] != 0x30 or not all(b in _HEX for b in field[1:]):
        return -1
    return int(bytes(field[1:]), 16)


class FrameBuffer:
    def __init__(self, max_frame: int = MAX_FRAME):
        self.buf = bytearray()
        self.max_frame = max_frame

    def __len__(self) -> int:
        return len(self.buf)

    def feed(self, data: bytes) -> list[Chunk]:
        self.buf += data
        out: list[Chunk] = []
        buf = self.buf
        while True:
            start = buf.find(b"\n")
            if start < 0:
                # Stray bytes between frames (e.g. a 0x00 after CR) are discarded.
                buf.clear()
                break
            if start:
                del buf[:start]
            if len(buf) < 9:
                break
            binary = False
            length = _length_at(buf, 5)
            if length < 0 and _length_at(buf, 3) >= 0 and buf[7:8] == b'"':
                binary = True
                length = _length_at(buf, 3)
            if length < 0:
                out.append(Chunk(bytes(buf[:min(len(buf), 64)]), "bad length field"))
                del buf[:1]
                continue
            header = 7 if binary else 9
            total = header + length + 1
            if len(buf) < total:
                if len(buf) > self.max_frame:
                    out.append(Chunk(bytes(buf[:self.max_frame]), "oversized frame"))
                    buf.clear()
                break
            if buf[total - 1] != CR:
                out.append(Chunk(bytes(buf[:total]), "CR not where the length says"))
                del buf[:1]
                continue
            out.append(Chunk(bytes(buf[:total]), "", binary))
            del buf[:total]
        return out
