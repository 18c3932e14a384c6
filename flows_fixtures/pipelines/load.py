"""Loads a table: what the CL103 fixture's script calls (it reads no environment)."""


def load(table: str, source: str) -> None:
    print(f"loading {table} from {source}")
