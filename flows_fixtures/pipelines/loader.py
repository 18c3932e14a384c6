"""The loop that used to sit in the noqa fixture's inline script."""


def load_all() -> None:
    for table in ("orders", "customers"):
        print(f"loading {table}")
