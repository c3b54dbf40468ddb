"""The database goes away and comes back: a live `portal serve` on a PostgreSQL cluster of its
own, which the test shuts down (fast shutdown, as `pg_ctl stop -m fast` does) and starts again.
Meanwhile pages answer the GOV.UK "Sorry, the service is unavailable" page with 503 and
Retry-After, as does /healthz; afterwards the same server process works again by itself, and a
session signed in before the outage still works.
"""

from __future__ import annotations

import os
import pwd
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

import httpx
import pytest
from starlette.testclient import TestClient

from app.migrations import upgrade_to_head
from app.settings import Settings
from testkit.journeys import post, register, start_referral
from testkit.live import LISTENING
from testkit.postgres import (
    PostgresCluster,
    create_database,
    free_port,
    remove_cluster,
    start_cluster,
)
from testkit.processes import ServerProcess, start_server
from tests.conftest import TEST_SECRET_KEY, make_settings

REFERRER_EMAIL = "dana.downtime@school.example.org"
UNAVAILABLE = "Sorry, the service is unavailable"
POSTGRES_READY = "database system is ready to accept connections"
WAIT_SECONDS = 30.0


@dataclass
class Portal:
    url: str
    settings: Settings
    cluster: PostgresCluster
    server: ServerProcess


@pytest.fixture
def portal_on_postgres() -> Iterator[Portal]:
    # A cluster of its own: the suite's shared one must never go down.
    cluster = start_cluster(in_memory=True)
    if cluster is None:
        pytest.fail("PostgreSQL binaries are needed to take the database away (initdb, postgres)")
    server: ServerProcess | None = None
    try:
        database_url = create_database(cluster.admin_url, "portal")
        upgrade_to_head(database_url)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "PORTAL_ENV": "test",
            "DATABASE_URL": database_url,
            "SECRET_KEY": TEST_SECRET_KEY,
            "BASE_URL": base_url,
        }
        server = start_server(
            [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            LISTENING,
            env=env,
        )
        yield Portal(base_url, make_settings(database_url, base_url=base_url), cluster, server)
    finally:
        if server is not None:
            server.stop()
        remove_cluster(cluster)


def stop_database(cluster: PostgresCluster) -> None:
    """Fast shutdown (SIGINT to the postmaster): sessions are ended, the cluster is kept."""
    assert cluster.server is not None
    cluster.server.stop(signal.SIGINT)


def start_database_again(cluster: PostgresCluster) -> None:
    """The same postmaster command on the same data folder and port."""
    assert cluster.server is not None
    command = cast("list[str]", cluster.server.process.args)
    user_ids = None
    if cluster.run_as is not None:
        user = pwd.getpwnam(cluster.run_as)
        user_ids = (user.pw_uid, user.pw_gid)
    cluster.server = start_server(
        command, POSTGRES_READY, user_ids=user_ids, death_signal=signal.SIGQUIT
    )


def wait_for_health(http: httpx.Client, status: int) -> httpx.Response:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        response = http.get("/healthz")
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def assert_unavailable_page(response: httpx.Response) -> None:
    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"
    assert f"<title>{UNAVAILABLE}" in response.text
    assert f">{UNAVAILABLE}</h1>" in response.text
    assert "govuk-heading-l" in response.text
    assert "Traceback" not in response.text


def test_portal_answers_503_while_the_database_is_down_and_recovers_by_itself(
    portal_on_postgres: Portal,
) -> None:
    portal = portal_on_postgres
    with httpx.Client(base_url=portal.url, timeout=30) as http:
        # The journey steps only get and post, which an httpx client does as TestClient does.
        client = cast(TestClient, http)
        register(client, portal.settings, REFERRER_EMAIL)
        reference = start_referral(client, "Dev", "Downtime")
        assert client.get("/account").status_code == 200
        task_list = client.get(f"/referrals/{reference}")
        assert task_list.status_code == 200

        stop_database(portal.cluster)
        health = wait_for_health(http, 503)
        assert health.status_code == 503
        assert health.headers["retry-after"] == "30"
        for path in ("/account", f"/referrals/{reference}", "/recover"):
            assert_unavailable_page(http.get(path, follow_redirects=False))
        # A change cannot be made either, and says so the same way.
        unavailable = post(client, "/start/early-help", child_forename="Ada", child_surname="Lost")
        assert_unavailable_page(unavailable)

        start_database_again(portal.cluster)
        assert wait_for_health(http, 200).status_code == 200
        # The same process, the same session, without signing in again.
        assert portal.server.process.poll() is None
        account = http.get("/account", follow_redirects=False)
        assert account.status_code == 200
        assert REFERRER_EMAIL in account.text
        assert reference in http.get("/recover").text
        # And it can write again.
        assert start_referral(client, "Rae", "Recovered") != reference
