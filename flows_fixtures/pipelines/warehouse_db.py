"""Database access shared by the warehouse stages (CL203 follows calls into it)."""

import os


def connect() -> str:
    """The connection string; a missing variable raises KeyError naming it."""
    return os.environ["WAREHOUSE_DB_URL"]
