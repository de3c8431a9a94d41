"""Signals the timers raise themselves (line fault, missing test, schedules,
timer outage…). Alarms are created only by intake (contracts §1), so every
one goes through ``alarms.services.intake.signal_submit`` in the caller's
transaction: the pending signal commits with the deadline's update, or not at
all, and the intake worker turns it into an alarm.
"""

from __future__ import annotations

TIMERS_PEER = "arc-timers"


def submit(*, site=None, transmitter=None, code: str = "", protocol: str = "SIA-DCS", qualifier: str = "new",
           zone: str = "", text: str = "", category: str | None = None, priority: int | None = None):
    from alarms.services.intake import signal_submit

    event = {"protocol": protocol, "qualifier": qualifier, "zone": zone, "area": "", "user": "", "text": text}
    if code:
        event["code"] = code
    if category:
        event["category"] = category
    if priority is not None:
        event["priority"] = priority
    return signal_submit(source="system", site=site, transmitter=transmitter, events=[event], text=text,
                         peer=TIMERS_PEER, receiver="internal")
