"""The operator console: the live queue, the handling view, incoming phone
calls, storm mode and the evidence export. Views stay thin: parse, authorise,
call one service (alarms/services/), render."""
