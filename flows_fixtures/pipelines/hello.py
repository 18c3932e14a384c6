"""Greets a channel: the business logic a flow's thin script calls."""

import os


def greet(channel_uuid: str) -> None:
    host = os.environ["DB_HOST"]
    print(f"hello {channel_uuid} from {host}")
