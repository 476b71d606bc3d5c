"""Whether the database answers: what the health check asks of the storage."""

from typing import Any


def database_answers(conn: Any) -> None:
    """Run the smallest query; raises whatever the database raises when it cannot answer."""
    conn.execute("SELECT 1").fetchone()
