"""Decode the data block of SIA-DCS (DC-03, PROTOCOLS.md §6) and ADM-CID
(Contact ID, §7) into event dicts, the shape ``signal_submit`` takes:
{"protocol", "code", "qualifier" (raw Contact ID digit or ""), "zone", "area",
"user", "text", "old", "modifiers", "panel_time"}."""

from __future__ import annotations

import re

_MODIFIER = re.compile(r"([a-z]{2})([^/A-Z]*)")
_EVENT = re.compile(r"([A-Z]{2})([0-9]*)")
_CID = re.compile(r"^([0-9])([0-9A-F]{3}) ?([0-9A-F]{2}) ?([0-9A-F]{3})$")
# Modifiers whose value is an area, a user or a zone.
_USER_CODES = frozenset({"OP", "CL", "OA", "CA", "OR", "CR", "OS", "CS", "JP", "OK", "CK", "OQ", "CQ", "OU", "CU",
                         "OJ", "CJ", "CE", "CI", "OG", "CG", "NL"})


class PayloadError(ValueError):
    pass


def split_account(data: str) -> tuple[str, list[str]]:
    """``#acct|block|block…`` → (acct, blocks). A data block without ``#`` has no inner account."""
    parts = data.split("|")
    if parts and parts[0].startswith("#"):
        return parts[0][1:], parts[1:]
    return "", parts


def decode_sia(blocks: list[str]) -> list[dict]:
    events: list[dict] = []
    last_block_events: list[dict] = []
    for block in blocks:
        if not block:
            continue
        kind, body = block[0], block[1:]
        if kind == "A":  # text for the preceding event block
            for event in last_block_events:
                event["text"] = (event["text"] + " " + body).strip()[:250]
            continue
        if kind not in "NO":
            raise PayloadError(f"unknown DC-03 block {block[:12]!r}")
        modifiers: dict[str, str] = {}
        last_block_events = []
        pos = 0
        while pos < len(body):
            if body[pos] == "/":
                pos += 1
                continue
            match = _MODIFIER.match(body, pos)
            if match:
                modifiers[match.group(1)] = match.group(2)
                pos = match.end()
                continue
            match = _EVENT.match(body, pos)
            if not match:
                raise PayloadError(f"cannot parse DC-03 packet at {body[pos:pos + 12]!r}")
            code, address = match.groups()
            event = {"protocol": "SIA-DCS", "code": code, "qualifier": "", "zone": "", "area": modifiers.get("ri", ""),
                     "user": modifiers.get("id", ""), "text": "", "old": kind == "O",
                     "modifiers": dict(modifiers), "panel_time": modifiers.get("ti", "")[:8]}
            if code in _USER_CODES:
                event["user"] = address or event["user"]
            else:
                event["zone"] = address or modifiers.get("pi", "")
            events.append(event)
            last_block_events.append(event)
            pos = match.end()
    if not events:
        raise PayloadError("no event in DC-03 data")
    return events


def decode_cid(blocks: list[str]) -> list[dict]:
    events = []
    for block in blocks:
        block = block.strip()
        if not block:
            continue
        match = _CID.match(block)
        if not match:
            raise PayloadError(f"not a Contact ID event: {block[:20]!r}")
        qualifier, code, group, number = match.groups()
        event = {"protocol": "ADM-CID", "code": code, "qualifier": qualifier, "zone": "", "area": group,
                 "user": "", "text": "", "old": False, "modifiers": {}, "panel_time": ""}
        # 4xx open/close codes carry a user number; everything else a zone.
        if code.startswith("4"):
            event["user"] = number
        else:
            event["zone"] = number
        events.append(event)
    if not events:
        raise PayloadError("no Contact ID event")
    return events


def decode(token: str, data: str) -> tuple[str, list[dict]]:
    """(inner account, events); raises PayloadError when the data cannot be split."""
    account, blocks = split_account(data)
    if token == "SIA-DCS":
        return account, decode_sia(blocks)
    if token == "ADM-CID":
        return account, decode_cid(blocks)
    return account, []
