"""Rows deleted underneath the workers (the suite's cleanup) are dropped quietly; the workers live on."""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import BindParameter, bindparam, create_engine, text
from sqlalchemy.orm import Session

from support.api import Api
from support.polling import wait_until


def test_deleting_a_running_campaign_does_not_break_the_workers(
    make_sandbox: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    server, client = make_sandbox(provider_latency_ms=20, workers=4)
    doomed = [client.new_campaign(20, name=f"doomed {i}") for i in range(3)]
    for cid in doomed:
        client.start(cid)
    wait_until(
        lambda: any(
            client.call("GET", "/jobs/", params={"campaign_id": cid, "status": "COMPLETED"})["data"]["total"]
            > 1
            for cid in doomed
        ),
        20,
        "enrichment under way",
    )
    engine = create_engine(server.database_url)
    ids: BindParameter[list[str]] = bindparam("ids", expanding=True)
    with caplog.at_level(logging.WARNING, logger="campaign_sandbox"), engine.begin() as conn:
        for table in ("jobs", "leads", "campaigns"):
            column = "id" if table == "campaigns" else "campaign_id"
            conn.execute(text(f"DELETE FROM {table} WHERE {column} IN :ids").bindparams(ids), {"ids": doomed})
    engine.dispose()

    survivor = client.new_campaign(10, name="survivor")
    client.start(survivor)
    wait_until(
        lambda: client.campaign(survivor)["status"] == "COMPLETED", 30, "the next campaign to complete"
    )
    assert all(t.is_alive() for t in server.runtime.pool._threads)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    for cid in doomed:
        assert client.call("GET", f"/campaigns/{cid}", 404) == {"detail": f"Campaign {cid} not found"}


def test_overlapping_write_requests_all_succeed(make_sandbox: Callable[..., Any]) -> None:
    # FastAPI may set up and tear down a request's write session on different threads; a thread-bound
    # lock then stayed held and every later write hung (seen with two suite runs on one sandbox).
    server, _ = make_sandbox()

    def sign_up(_: int) -> int:
        email = f"t-{uuid.uuid4().hex[:10]}@hellacooltestingdomain.pizza"
        body = {"email": email, "password": "Passw0rd!x", "confirm_password": "Passw0rd!x"}
        return Api(server.url).post("/auth/signup", json=body, timeout=10).status_code

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(sign_up, range(64)))
    assert codes == [201] * 64


def test_a_write_is_committed_before_its_response_is_sent(
    make_sandbox: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # FastAPI ends a yield dependency after the response by default: a client could act on a 201 before
    # its row was committed. Slow commits make that window wide enough to hit every time.
    server, _ = make_sandbox()
    original_commit = Session.commit

    def slow_commit(self: Session) -> None:
        threading.Event().wait(0.3)
        original_commit(self)

    monkeypatch.setattr(Session, "commit", slow_commit)
    email = f"t-{uuid.uuid4().hex[:10]}@hellacooltestingdomain.pizza"
    body = {"email": email, "password": "Passw0rd!x", "confirm_password": "Passw0rd!x"}
    assert Api(server.url).post("/auth/signup", json=body, timeout=10).status_code == 201
    login = Api(server.url).post("/auth/login", json={"email": email, "password": "Passw0rd!x"}, timeout=10)
    assert login.status_code == 200, login.text
