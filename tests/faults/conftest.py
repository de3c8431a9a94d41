"""Fixtures of the fault-injection suite.

Each test gets a private centre (``cluster``): its own PostgreSQL and Redis on
free ports, copied from a database migrated and seeded once per session, so
that stopping, killing or tampering with them touches nothing else. The
suite's own database (pytest-django) is not used by these tests.
"""

from __future__ import annotations

import pytest

from tests.faults.harness.cluster import Cluster, build_template, seed_info


@pytest.fixture(scope="session")
def fault_template(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    datadir = build_template(root)
    return {"datadir": datadir, "seed": seed_info(root)}


@pytest.fixture(scope="module")
def module_cluster(fault_template, tmp_path_factory):
    """One private centre shared by a module's tests (for tests that undo their own fault)."""
    centre = Cluster(tmp_path_factory.mktemp("centre"), template=fault_template["datadir"])
    centre.seed = fault_template["seed"]
    centre.start_servers()
    yield centre
    centre.close()


@pytest.fixture
def cluster(fault_template, tmp_path, request):
    centre = Cluster(tmp_path / "centre", template=fault_template["datadir"])
    centre.seed = fault_template["seed"]
    centre.start_servers()
    yield centre
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print("\n==== process logs ====\n" + centre.logs())
    centre.close()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
