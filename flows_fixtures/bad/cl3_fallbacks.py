"""Contract 3 defects in a module: silent fallbacks and swallowed exceptions."""

import builtins
import logging
import os

log = logging.getLogger(__name__)


def build_prompt(prompts, record):
    system = prompts.get("summarize") or "You are a helpful assistant."
    title = record["title"] or "Untitled"
    retries = record.settings.retries or 3
    offset = record.window.offset or -1
    tags = record.get("tags") or []
    region = os.environ.get("REGION") or "eu-west-1"
    model = record.model or prompts.default_model() or (
        "gpt-4o"
    )
    return system, title, retries, offset, tags, region, model


def load(client, key):
    try:
        return client.fetch(key)
    except Exception as error:
        log.warning("fetch %s failed: %s", key, error)
        return {}


def load_all(client, keys):
    rows = []
    for key in keys:
        try:
            rows.append(client.fetch(key))
        except:
            continue
    return rows


def send(client, batch):
    try:
        client.send(batch)
    except (ConnectionError, (TimeoutError, builtins.BaseException)):
        log.exception("send failed")
    try:
        client.flush()
    except* Exception as group:
        if len(group.exceptions) > 1:
            raise
        log.error("flush failed once")
