"""Plugin defaults as Kestra applies them (placeholder until the resolver lands)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class PluginDefault:
    type: str
    forced: bool
    values: Any
    node: Any
    origin: str


def load_global_defaults(paths: Sequence[Path]) -> tuple[PluginDefault, ...]:
    return ()
