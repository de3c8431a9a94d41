"""The logbook is append-only and its hash chain reveals tampering."""

from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction

from logbook.chain import HASHED_FIELDS
from logbook.models import ChainHead, LogEntry
from logbook.services import entry_append, entry_correct, manual_entry_create
from logbook.verify import verify_chain


def _append(n: int, **kwargs):
    return [entry_append(action="test", message=f"entrée {i}", **kwargs) for i in range(n)]


def test_entries_chain_each_to_the_previous(db, operator):
    first, second = _append(2, actor=operator)
    assert second.prev_hash == first.hash
    assert first.actor_name == "Camille Roux" and first.actor_id == operator.pk
    head = ChainHead.objects.get(pk=1)
    assert head.last_hash == second.hash and head.count == 2
    assert verify_chain().ok


def test_time_comes_from_the_database_clock(db):
    entry = entry_append(action="test", message="horloge")
    with connection.cursor() as cursor:
        cursor.execute("select clock_timestamp()")
        db_now = cursor.fetchone()[0]
    assert abs((db_now - entry.created_at).total_seconds()) < 5


@pytest.mark.parametrize("statement", [
    "UPDATE logbook_logentry SET message = 'falsifié'",
    "DELETE FROM logbook_logentry",
])
def test_sql_update_and_delete_are_refused(db, statement):
    _append(2)
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert LogEntry.objects.count() == 2


def test_truncate_is_refused_without_the_maintenance_switch(db):
    _append(1)
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL arc.logbook_truncate = off")
            cursor.execute("TRUNCATE logbook_logentry")


def _tamper(sql: str, *params):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE logbook_logentry DISABLE TRIGGER logbook_no_update")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE logbook_logentry ENABLE TRIGGER logbook_no_update")


def test_an_altered_entry_is_named_by_verify_logbook(db):
    entries = _append(5)
    _tamper("UPDATE logbook_logentry SET message = 'rien à signaler' WHERE id = %s", entries[2].pk)
    result = verify_chain()
    assert not result.ok and result.first_broken_id == entries[2].pk
    with pytest.raises(CommandError, match=f"BROKEN at entry {entries[2].pk}"):
        call_command("verify_logbook")


def test_a_deleted_entry_breaks_the_link_of_the_next(db):
    entries = _append(5)
    _tamper("DELETE FROM logbook_logentry WHERE id = %s", entries[1].pk)
    result = verify_chain()
    assert not result.ok and result.first_broken_id == entries[2].pk


def test_removing_the_last_entries_is_detected_by_the_head(db):
    entries = _append(3)
    _tamper("DELETE FROM logbook_logentry WHERE id = %s", entries[-1].pk)
    assert not verify_chain().ok


def test_verify_logbook_command_reports_ok(db, capsys):
    _append(3)
    call_command("verify_logbook")
    assert "OK: 3 entries" in capsys.readouterr().out


def test_a_correction_is_a_new_entry_pointing_to_the_old(db, operator):
    entry = manual_entry_create(author=operator, category="call", message="Appel de M. Dupont")
    correction = entry_correct(author=operator, entry=entry, message="Appel de Mme Dupont")
    assert correction.corrects_id == entry.pk
    assert LogEntry.objects.get(pk=entry.pk).message == "Appel de M. Dupont"
    assert verify_chain().ok


def test_empty_manual_entry_is_refused(db, operator):
    with pytest.raises(ValueError):
        manual_entry_create(author=operator, category="call", message="   ")


def test_french_full_text_search(db):
    entry_append(action="test", message="Le gardien a constaté une effraction par la fenêtre")
    entry_append(action="test", message="Appel du client pour un changement de code")
    found = LogEntry.objects.filter(search="effractions")  # French stemming
    assert [e.message for e in found] == ["Le gardien a constaté une effraction par la fenêtre"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("own_transaction", [True, False], ids=["inside-atomic", "standalone"])
def test_sixteen_concurrent_writers_never_fork_the_chain(own_transaction):
    """Both paths: inside the caller's transaction, and on its own (one message with its commit)."""
    per_writer = 25
    errors = []
    barrier = threading.Barrier(16)

    def writer(n):
        try:
            barrier.wait()
            for i in range(per_writer):
                if own_transaction:
                    with transaction.atomic():
                        entry_append(action="test", message=f"writer {n} entry {i}")
                else:
                    entry_append(action="test", message=f"writer {n} entry {i}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert LogEntry.objects.count() == 16 * per_writer
    hashes = list(LogEntry.objects.values_list("prev_hash", flat=True))
    assert len(set(hashes)) == len(hashes), "two entries share a predecessor: the chain forked"
    assert verify_chain().ok


def test_an_entry_rewritten_with_a_recomputed_hash_breaks_the_next_link(db):
    """A forger who recomputes the altered entry's own hash still breaks the chain."""
    from logbook.chain import HASHED_FIELDS, entry_hash

    entries = _append(4)
    target = LogEntry.objects.values(*HASHED_FIELDS, "created_at", "prev_hash").get(pk=entries[1].pk)
    target["message"] = "rien à signaler"
    forged = entry_hash(target, created_at=target["created_at"], prev_hash=target["prev_hash"])
    _tamper("UPDATE logbook_logentry SET message = 'rien à signaler', hash = %s WHERE id = %s",
            forged, entries[1].pk)
    result = verify_chain()
    assert not result.ok and result.first_broken_id == entries[2].pk
    assert "previous-hash link" in result.reason


def test_an_entry_inserted_afterwards_is_detected(db):
    entries = _append(3)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO logbook_logentry (created_at, actor_kind, actor_name, action, category, customer_label, "
            "site_label, alarm_label, intervention_label, message, correlation_id, prev_hash, hash) "
            "SELECT created_at, actor_kind, actor_name, action, category, '', '', '', '', 'ajout après coup', "
            "correlation_id, hash, repeat('f', 64) FROM logbook_logentry WHERE id = %s", [entries[-1].pk])
    result = verify_chain()
    assert not result.ok


def test_timestamps_never_go_back_even_if_the_clock_does(db):
    """Ids and times grow together (a period is an id range in the review)."""
    import datetime as dt

    from tests.logbook.helpers import append_at

    future = append_at(dt.datetime(2099, 1, 1, tzinfo=dt.UTC), action="t", message="horloge en avance")
    after = entry_append(action="t", message="après")
    assert after.created_at >= future.created_at and after.pk > future.pk
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_an_append_is_durable_and_visible_when_its_transaction_returns():
    """The asynchronous commit is followed by a wait for the WAL flush, inside
    the caller's atomic(): another connection sees the entry at once."""
    import psycopg

    s = connection.settings_dict
    with transaction.atomic():
        entry = entry_append(action="test", message="durable")
        assert any(f.__name__ == "_wait_for_wal_flush" for _s, f, _r in connection.run_on_commit)
    with psycopg.connect(host=s["HOST"], port=s["PORT"], user=s["USER"], dbname=s["NAME"]) as other:
        assert other.execute("SELECT message FROM logbook_logentry WHERE id = %s", [entry.pk]).fetchone() == (
            "durable",)


@pytest.mark.django_db(transaction=True)
def test_a_standalone_append_is_committed_flushed_and_linked_in_one_message():
    import psycopg

    from logbook.chain import content_hash, link_hash

    first = entry_append(action="test", message="un")
    second = entry_append(action="test", message="deux", new={"n": 2})
    assert connection.get_autocommit() and not connection.in_atomic_block
    assert connection.connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    stored = LogEntry.objects.values(*HASHED_FIELDS, "created_at", "prev_hash", "hash").get(pk=second.pk)
    assert stored["prev_hash"] == first.hash == LogEntry.objects.get(pk=first.pk).hash
    # v2: SHA-256(prev|content|time), the link computed in SQL matches the Python formula.
    assert stored["hash"] == second.hash == link_hash(prev_hash=first.hash, content=content_hash(stored),
                                                       created_at=stored["created_at"])
    assert ChainHead.objects.get(pk=1).last_hash == second.hash
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_a_failed_standalone_append_leaves_no_transaction_open():
    with pytest.raises(DatabaseError):
        entry_append(action="test", message="bad\x00byte")  # NUL is refused by PostgreSQL text
    assert connection.connection.info.transaction_status.name == "IDLE"
    assert entry_append(action="test", message="après").pk
    assert verify_chain().ok
