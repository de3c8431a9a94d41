"""The event code table (PROTOCOLS.md §8): ``alarms/data/event_codes.csv``,
a verbatim copy of ../shared/event_codes.csv (a test keeps them identical).

``classify`` applies the Contact ID qualifier rules of PROTOCOLS.md §7.2/§8:
Q3 on an alarm-like code is a restore (category ``restore``, priority 7), Q3
on open/close is a closing, Q6 is a status report, any other qualifier is
flagged and handled as Q1. Unknown codes are still events: category
``other``, priority 5, raw code kept.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CSV_PATH = Path(__file__).resolve().parent / "data" / "event_codes.csv"

UNKNOWN_CATEGORY = "other"
UNKNOWN_PRIORITY = 5
RESTORE_PRIORITY = 7
# Categories whose Contact ID Q3 means "restore" (PROTOCOLS.md §7.2).
RESTORABLE = frozenset({"alarm", "fire", "panic", "medical", "trouble", "tamper", "supervision"})


@dataclass(frozen=True)
class CodeInfo:
    protocol: str
    code: str
    description: str
    category: str
    priority: int


@dataclass(frozen=True)
class Classified:
    category: str
    priority: int
    qualifier: str  # new | restore | status
    description: str
    known: bool
    # For a restore: the category of the condition it ends (alarm, trouble…).
    restores: str = ""
    closing: bool = False
    flags: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def table() -> dict[tuple[str, str], CodeInfo]:
    rows: dict[tuple[str, str], CodeInfo] = {}
    with CSV_PATH.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            info = CodeInfo(row["protocol"], row["code"], row["description"], row["category"],
                            int(row["default_priority"]))
            rows[(info.protocol, info.code.upper())] = info
    return rows


def lookup(protocol: str, code: str) -> CodeInfo | None:
    return table().get((protocol, (code or "").upper()))


def short_description(info: CodeInfo | None, code: str) -> str:
    if info is None:
        return code
    return info.description.split(":", 1)[0].strip()


# SIA restore codes → the code whose condition they end (same zone), for
# matching a restore to its alarm or fault. Anything else matches by zone.
SIA_RESTORE_OF = {
    "BH": "BA", "BR": "BA", "FH": "FA", "FR": "FA", "PH": "PA", "PR": "PA", "HH": "HA", "HR": "HA",
    "MH": "MA", "MR": "MA", "GH": "GA", "GR": "GA", "TR": "TA", "AR": "AT", "YR": "YT", "XR": "XT",
    "YK": "YS", "LR": "LT", "WH": "WA", "KH": "KA", "ZH": "ZA", "SH": "SA", "UH": "UA", "EJ": "ES",
    "BJ": "BT", "FJ": "FT", "TJ": "TT",
}


def classify(protocol: str, code: str, raw_qualifier: str = "") -> Classified:
    """Category, priority and qualifier of one event, from the table."""
    info = lookup(protocol, code)
    flags: list[str] = []
    if info is None:
        flags.append("unknown_code")
        category, priority, description = UNKNOWN_CATEGORY, UNKNOWN_PRIORITY, code
    else:
        category, priority, description = info.category, info.priority, short_description(info, code)
    if protocol != "ADM-CID":
        if category == "restore":
            target = lookup("SIA-DCS", SIA_RESTORE_OF.get(code.upper(), ""))
            return Classified(category, priority, "restore", description, info is not None,
                              restores=target.category if target else "", flags=tuple(flags))
        return Classified(category, priority, "new", description, info is not None, flags=tuple(flags))
    qualifier = raw_qualifier or "1"
    if qualifier not in ("1", "3", "6"):
        flags.append("non_standard_qualifier")
        qualifier = "1"
    if qualifier == "6":
        return Classified(category, priority, "status", description, info is not None, flags=tuple(flags))
    if qualifier == "3":
        if category == "openclose":
            return Classified(category, priority, "new", description, info is not None, closing=True,
                              flags=tuple(flags))
        if category in RESTORABLE:
            return Classified("restore", RESTORE_PRIORITY, "restore", description, info is not None,
                              restores=category, flags=tuple(flags))
        return Classified(category, priority, "new", description, info is not None, closing=True,
                          flags=tuple(flags))
    return Classified(category, priority, "new", description, info is not None, flags=tuple(flags))


# Open/close codes that arm (SIA). Contact ID arms with Q3 (``closing``).
SIA_CLOSING = frozenset({"CL", "CA", "CE", "CF", "CG", "CI", "CJ", "CK", "CP", "CQ", "CS", "NL"})
SIA_PARTIAL = frozenset({"NL", "CG"})
CID_PARTIAL = frozenset({"441", "456"})

# Test reports that restart test supervision (PROTOCOLS.md §5.2).
TEST_CODES = {("SIA-DCS", "RP"), ("SIA-DCS", "RX"), ("SIA-DCS", "RY"), ("ADM-CID", "602"), ("ADM-CID", "603"),
              ("ADM-CID", "601"), ("ADM-CID", "608"), ("SIA-DCS", "TX")}

# Site faults (battery, mains, communication, tamper) by code.
FAULT_KIND = {
    ("SIA-DCS", "AT"): "mains", ("SIA-DCS", "AR"): "mains",
    ("SIA-DCS", "YT"): "battery", ("SIA-DCS", "YR"): "battery", ("SIA-DCS", "XT"): "battery",
    ("SIA-DCS", "XR"): "battery", ("SIA-DCS", "YM"): "battery",
    ("SIA-DCS", "YS"): "communication", ("SIA-DCS", "YK"): "communication", ("SIA-DCS", "YC"): "communication",
    ("SIA-DCS", "LT"): "communication", ("SIA-DCS", "LR"): "communication",
    ("SIA-DCS", "TA"): "tamper", ("SIA-DCS", "TR"): "tamper", ("SIA-DCS", "ES"): "tamper",
    ("SIA-DCS", "EJ"): "tamper",
    ("ADM-CID", "301"): "mains", ("ADM-CID", "342"): "mains",
    ("ADM-CID", "302"): "battery", ("ADM-CID", "309"): "battery", ("ADM-CID", "311"): "battery",
    ("ADM-CID", "338"): "battery", ("ADM-CID", "384"): "battery",
    ("ADM-CID", "350"): "communication", ("ADM-CID", "351"): "communication",
    ("ADM-CID", "352"): "communication", ("ADM-CID", "353"): "communication",
    ("ADM-CID", "354"): "communication", ("ADM-CID", "355"): "communication",
    ("ADM-CID", "137"): "tamper", ("ADM-CID", "144"): "tamper", ("ADM-CID", "145"): "tamper",
    ("ADM-CID", "383"): "tamper", ("ADM-CID", "341"): "tamper",
}


def fault_kind(protocol: str, code: str) -> str:
    return FAULT_KIND.get((protocol, (code or "").upper()), "")


def is_test(protocol: str, code: str) -> bool:
    return (protocol, (code or "").upper()) in TEST_CODES
