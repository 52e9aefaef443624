"""Named losses (``--loss rosenbrock``), read from the data file ``tutor/data/presets.toml``."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, eq=False, repr=False)  # lean: class creation is start-up time
class Preset:
    """A named loss with a suggested starting point."""

    name: str
    loss: str
    start: tuple[float, ...]
    description: str


@functools.cache
def presets() -> dict[str, Preset]:
    """Every preset, by name, in file order."""
    text = (Path(__file__).resolve().parent.parent / "data" / "presets.toml").read_text(
        encoding="utf-8"
    )
    data = tomllib.loads(text)
    data.pop("format_version")
    return {
        name: Preset(
            name, entry["loss"], tuple(float(x) for x in entry["start"]), entry["description"]
        )
        for name, entry in data.items()
    }
