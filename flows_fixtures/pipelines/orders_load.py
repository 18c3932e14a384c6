"""Loads a day of orders into the warehouse: what the cl2 fixture flows call."""

import os

from pipelines.warehouse_db import connect

BATCH_SIZE_KEY = "ORDERS_BATCH_SIZE"


def load(channel_uuid: str) -> dict[str, object]:
    """Load the orders of ``channel_uuid``; reads the batch size and the database."""
    batch_size = int(os.environ[BATCH_SIZE_KEY])
    return {"channel": channel_uuid, "batch_size": batch_size, "database": connect()}


def backfill() -> None:
    """Not called by the flows: what it reads is not the flows' concern."""
    print(os.environ["BACKFILL_WINDOW"])
