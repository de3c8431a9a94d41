"""``manage.py export_signals --format jsonl|csv [--since …] [--until …]``: the
signal journal, one record per frame, streamed (constant memory)."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from alarms.models import Signal

FIELDS = ("id", "received_at", "receiver", "transport", "peer", "token", "account", "sequence", "outcome",
          "reason", "reply", "site", "payload", "raw", "raw_base64", "flags", "duplicate_of", "process_state")


def _moment(value: str | None):
    if not value:
        return None
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"not a date or date-time: {value!r}")
        moment = dt.datetime.combine(day, dt.time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def record(signal: dict) -> dict:
    raw = bytes(signal["raw"] or b"")
    return {
        "id": signal["id"], "received_at": signal["received_at"].isoformat(), "receiver": signal["receiver"],
        "transport": signal["transport"], "peer": signal["peer"], "token": signal["token"],
        "account": signal["account"], "sequence": signal["sequence"], "outcome": signal["outcome"],
        "reason": signal["reason"], "reply": signal["reply"], "site": signal["site__code"] or "",
        "payload": signal["payload"], "raw": raw.decode("latin-1"),
        "raw_base64": base64.b64encode(raw).decode("ascii"), "flags": signal["flags"],
        "duplicate_of": signal["duplicate_of"], "process_state": signal["process_state"],
    }


class Command(BaseCommand):
    help = "Export the signal journal as JSON lines or CSV (one record per frame)."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
        parser.add_argument("--since", help="ISO date or date-time (inclusive)")
        parser.add_argument("--until", help="ISO date or date-time (exclusive)")
        parser.add_argument("--account")
        parser.add_argument("--output", help="file path (default: standard output)")

    def handle(self, *args, **opts):
        qs = Signal.objects.order_by("id")
        since, until = _moment(opts["since"]), _moment(opts["until"])
        if since:
            qs = qs.filter(received_at__gte=since)
        if until:
            qs = qs.filter(received_at__lt=until)
        if opts["account"]:
            qs = qs.filter(account__iexact=opts["account"])
        rows = qs.values("id", "received_at", "receiver", "transport", "peer", "token", "account", "sequence",
                         "outcome", "reason", "reply", "site__code", "payload", "raw", "flags", "duplicate_of",
                         "process_state").iterator(chunk_size=2000)
        out = open(opts["output"], "w", newline="", encoding="utf-8") if opts["output"] else self.stdout
        try:
            if opts["format"] == "csv":
                writer = csv.DictWriter(out, fieldnames=FIELDS)
                writer.writeheader()
                for row in rows:
                    item = record(row)
                    item["flags"] = ",".join(item["flags"] or [])
                    writer.writerow(item)
            else:
                for row in rows:
                    out.write(json.dumps(record(row), ensure_ascii=False) + "\n")
        finally:
            if out is not self.stdout:
                out.close()
