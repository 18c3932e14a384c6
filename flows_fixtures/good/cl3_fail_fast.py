"""Contract 3 done right: a missing value fails, and only expected exceptions are caught."""

import logging
import sys as system
from sys import exit as stop

log = logging.getLogger(__name__)


class PromptMissing(LookupError):
    pass


def build_prompt(prompts: dict, record: dict) -> tuple:
    system_prompt = prompts.get("summarize")
    if not system_prompt:
        raise PromptMissing("prompt 'summarize' is missing from the prompts table")
    tags = record.get("tags") or []
    note = record.get("note") or ""
    count = record.get("count") or 0
    return system_prompt, tags, note, count


def load(client, key: str) -> dict:
    try:
        return client.fetch(key)
    except KeyError:
        log.error("no row for %s", key)
        raise
    except Exception as error:
        raise RuntimeError(f"fetch {key} failed") from error


def main(client, keys: list[str]) -> None:
    try:
        for key in keys:
            load(client, key)
    except BaseException:
        log.exception("load failed")
        system.exit(1)


def guarded(client) -> None:
    try:
        client.run()
    except Exception as error:
        if isinstance(error, TimeoutError):
            stop(75)
        else:
            raise
