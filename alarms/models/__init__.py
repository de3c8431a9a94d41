"""Models of the alarms app, one module per concern; import them from here."""

from alarms.models.alarm import Alarm, AlarmEvent, Category, Qualification, Source  # noqa: F401
from alarms.models.fault import CategoryIntakeSetting, Fault, IntakeSource, TransmitterBucket  # noqa: F401
from alarms.models.handling import (  # noqa: F401
    AlarmComment,
    AlarmStep,
    CallAttempt,
    CallOutcome,
    Evidence,
    PhoneCall,
    PublicService,
    PublicServiceCall,
)
from alarms.models.journal import Signal, SignalDedup, SignalEvent  # noqa: F401
from alarms.models.storm import StormRule  # noqa: F401
