"""The app through PgBouncer in transaction pooling mode (`make test-pgbouncer`).

Consecutive transactions of one Django connection may run on different server
connections, so nothing may outlive a transaction. DATABASE_POOLER=pgbouncer turns off
what would: server-side cursors (a `.iterator()` outside a transaction declares a WITH HOLD
cursor and fetches from it in later transactions) and prepared statements.
"""

import psycopg
import pytest
from django.conf import settings
from django.db import connection, connections

from tests.factories import UserFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        settings.DATABASE_POOLER != "pgbouncer",
        reason="needs PgBouncer: DATABASE_POOLER=pgbouncer (make test-pgbouncer)",
    ),
]


def _pgbouncer_config() -> dict[str, str]:
    db = settings.DATABASES["default"]
    admin = psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname="pgbouncer", autocommit=True
    )
    with admin:
        rows = admin.execute("SHOW CONFIG").fetchall()
    return {row[0]: row[1] for row in rows}


def test_the_app_talks_to_pgbouncer_in_transaction_mode(db):
    assert _pgbouncer_config()["pool_mode"] == "transaction"
    assert settings.DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"] is None


def _iterate_while_another_client_takes_the_server_connection(users) -> list[int]:
    """Read users with .iterator() in autocommit, 2 rows a fetch; after the first fetch,
    another client opens a transaction and so holds the server connection just released."""
    other = connections.create_connection("default")
    seen = []
    try:
        for user in users.iterator(chunk_size=2):
            seen.append(user.pk)
            if len(seen) == 1:
                other.set_autocommit(False)
                with other.cursor() as cursor:
                    cursor.execute("SELECT 1")
    finally:
        other.rollback()
        other.close()
    return seen


@pytest.mark.django_db(transaction=True)
def test_an_iterator_outside_a_transaction_reads_every_row():
    UserFactory.create_batch(7)
    users = UserFactory._meta.model.objects.order_by("pk")

    assert connection.get_autocommit()
    assert len(_iterate_while_another_client_takes_the_server_connection(users)) == 7


@pytest.mark.django_db(transaction=True)
def test_with_server_side_cursors_the_iterator_loses_its_cursor(monkeypatch):
    """The control: without the setting the same read fails, the cursor being on a server
    connection that now belongs to someone else."""
    UserFactory.create_batch(7)
    users = UserFactory._meta.model.objects.order_by("pk")
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", False)

    with pytest.raises(Exception, match="does not exist"):  # noqa: PT011 (psycopg's or Django's)
        _iterate_while_another_client_takes_the_server_connection(users)
