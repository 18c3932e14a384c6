"""Settings read every way contract 4 forbids (CL201, CL202), through aliases."""

import os as _os
from os import environ as ENV
from os import getenv

DB_URL = _os.getenv("DB_URL", "postgresql://localhost/dev")
TOKEN = ENV.get("API_TOKEN")
REGION = ENV.get("AWS_REGION") or "eu-west-1"
TIMEOUT = float(getenv("TIMEOUT_SECONDS", default="30"))


def bucket(environ: dict[str, str]) -> str:
    """A parameter called environ is not os.environ: not reported."""
    return environ.get("S3_BUCKET", "raw")
