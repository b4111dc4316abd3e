"""The shared database refusing writes (as when it fails over to a read-only replica, or an
administrator revokes them): the SMTP listener answers 451 and stores nothing of that email;
once writes are allowed again, the mail server's retry is accepted and sent once.

The bridge connects as a role of its own, whose INSERT, UPDATE and DELETE rights the test
revokes and grants back while the bridge runs.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import PG_DSN, postgres_schema
from tests.support.bridge_process import BridgeProcess, assert_unhealthy, assert_webhook_unavailable
from tests.support.smtp_client import Dialogue, converse, message


@pytest.fixture
def role_and_dsn() -> Iterator[tuple[str, str, str]]:
    """(role, schema, the bridge's DSN): a fresh schema, migrated, and a role that may write."""
    with postgres_schema() as dsn:
        schema = dsn.rpartition("search_path=")[2]
        role = "bridge_" + uuid.uuid4().hex[:10]
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {role} LOGIN")
        try:
            yield role, schema, dsn.replace("postgres@", f"{role}@", 1)
        finally:
            with psycopg.connect(PG_DSN, autocommit=True) as conn:
                conn.execute(f"DROP OWNED BY {role}")
                conn.execute(f"DROP ROLE {role}")


def _sql(statement: str) -> None:
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(statement)


def _email(bridge: BridgeProcess, n: int) -> Dialogue:
    to = f"+4477009006{n:02d}@sms.example.com"
    return converse(
        bridge.smtp_address,
        mail_from="alice@example.com",
        rcpts=[to],
        content=message(to=to, body=f"Replica text {n}").as_bytes(),
    )


def test_a_database_refusing_writes_gets_451_and_nothing_half_written(
    tmp_path: Path, role_and_dsn: tuple[str, str, str]
) -> None:
    role, schema, dsn = role_and_dsn
    owner_dsn = dsn.replace(f"{role}@", "postgres@", 1)
    bridge = BridgeProcess(
        tmp_path,
        store={"backend": "postgres", "dsn": owner_dsn},
        queue={"poll_seconds": 0.2, "lease_seconds": 5},
    )
    assert bridge.cli("migrate").returncode == 0  # as the owner, as an administrator would
    bridge.config.write_text(bridge.config.read_text().replace(owner_dsn, dsn))
    _sql(
        f"GRANT USAGE ON SCHEMA {schema} TO {role};"
        f" GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}"
    )
    with bridge:
        assert _email(bridge, 0).accepted
        _sql(f"REVOKE INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} FROM {role}")
        refused = _email(bridge, 1)
        assert refused.data is not None and refused.data[0] == 451, refused
        assert refused.data[1].startswith("4.3.0")
        assert_webhook_unavailable(bridge)
        assert_unhealthy(bridge)
        with psycopg.connect(
            owner_dsn.partition("?")[0], options=f"-csearch_path={schema}"
        ) as conn:
            bodies = [row[0] for row in conn.execute("SELECT body FROM sms_jobs")]
        assert bodies == ["Replica text 0"]  # nothing of the refused email
        _sql(f"GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}")
        assert _email(bridge, 1).accepted  # the mail server's retry
        sent = bridge.wait_until(
            lambda: len(bridge.sandbox_sent()) >= 2 and bridge.sandbox_sent(),
            timeout=60,
            what="both texts",
        )
    assert sorted(s["text"] for s in sent) == ["Replica text 0", "Replica text 1"]
