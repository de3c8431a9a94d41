"""The SIA DC-09 receiver process (``manage.py run_receiver``): asyncio TCP
and UDP listeners, a per-frame decision (alarms.receiver.decide), and group
commit writers (alarms.receiver.store) that ACK only after commit."""
