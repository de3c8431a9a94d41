"""Fault 8: the logbook altered through SQL is detected.

The triggers refuse UPDATE and DELETE, so the attacker here is a database
superuser who switches them off (``session_replication_role = replica``) —
the one who can. The hash chain is what still catches them: ``manage.py
verify_logbook`` fails and names the first broken entry. Each test undoes its
tampering from a copy of the table, so the module shares one centre.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.faults]

WRITE_ENTRIES = """
from logbook.services import entry_append
for n in range(30):
    entry_append(action="manual", category="note", message=f"Ronde {n} : RAS", actor_name="Camille Roux")
"""


def verify(cluster) -> tuple[bool, str]:
    try:
        return True, cluster.manage("verify_logbook")
    except RuntimeError as exc:
        return False, str(exc)


@pytest.fixture(scope="module")
def logbook(module_cluster):
    cluster = module_cluster
    cluster.manage("shell", "-c", WRITE_ENTRIES)
    ok, out = verify(cluster)
    assert ok, out
    assert "OK: 30 entries" in out or "OK:" in out
    cluster.sql("CREATE TABLE logbook_backup AS TABLE logbook_logentry")
    cluster.sql("CREATE TABLE chainhead_backup AS TABLE logbook_chainhead")
    columns = cluster.sql("SELECT string_agg(column_name, ',') FROM information_schema.columns "
                          "WHERE table_name = 'logbook_logentry' AND is_generated = 'NEVER'")[0][0]
    return {"ids": [int(r[0]) for r in cluster.sql("SELECT id FROM logbook_logentry ORDER BY id")],
            "columns": columns}


@pytest.fixture
def chain(module_cluster, logbook):
    yield logbook
    # Undo whatever the test did, as the same superuser would.
    cols = logbook["columns"]
    module_cluster.sql(
        "SET session_replication_role = replica; "
        "DELETE FROM logbook_logentry; "
        f"INSERT INTO logbook_logentry ({cols}) SELECT {cols} FROM logbook_backup; "
        "DELETE FROM logbook_chainhead; INSERT INTO logbook_chainhead SELECT * FROM chainhead_backup;"
    )


def tamper(cluster, statement: str) -> None:
    cluster.sql(f"SET session_replication_role = replica; {statement}")


def test_plain_update_and_delete_are_refused(module_cluster, chain):
    target = chain["ids"][3]
    with pytest.raises(RuntimeError):
        module_cluster.sql(f"UPDATE logbook_logentry SET message = 'x' WHERE id = {target}")
    with pytest.raises(RuntimeError):
        module_cluster.sql(f"DELETE FROM logbook_logentry WHERE id = {target}")
    assert module_cluster.sql(f"SELECT message FROM logbook_logentry WHERE id = {target}") == [("Ronde 3 : RAS",)]


def test_altered_message_is_detected(module_cluster, chain):
    target = chain["ids"][10]
    tamper(module_cluster, "UPDATE logbook_logentry SET message = 'Ronde 10 : alarme non traitée' "
                           f"WHERE id = {target}")
    ok, out = verify(module_cluster)
    assert not ok
    assert f"BROKEN at entry {target}" in out and "does not match its hash" in out


def test_removed_entry_is_detected(module_cluster, chain):
    ids = chain["ids"]
    tamper(module_cluster, f"DELETE FROM logbook_logentry WHERE id = {ids[5]}")
    ok, out = verify(module_cluster)
    assert not ok
    assert f"BROKEN at entry {ids[6]}" in out and "link broken" in out


def test_rehashed_forgery_is_detected(module_cluster, chain):
    """An attacker who rewrites the altered entry's hash too breaks the next link."""
    ids = chain["ids"]
    tamper(module_cluster, "UPDATE logbook_logentry SET message = 'faux', "
                           f"hash = md5(random()::text) || md5(random()::text) WHERE id = {ids[12]}")
    ok, out = verify(module_cluster)
    assert not ok
    assert f"BROKEN at entry {ids[12]}" in out


def test_removed_tail_is_detected(module_cluster, chain):
    tamper(module_cluster, f"DELETE FROM logbook_logentry WHERE id >= {chain['ids'][-3]}")
    ok, out = verify(module_cluster)
    assert not ok
    assert "chain head" in out


def test_restored_chain_verifies(module_cluster, chain):
    """The undo above is faithful: the same chain verifies again (so the failures are real)."""
    ok, out = verify(module_cluster)
    assert ok, out
