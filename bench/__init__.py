"""Benchmarks: each public module of this package is one benchmark with a `main(argv) -> int`.

They generate their own data, measure a baseline in the same run and print the ratio, so a figure
means something on whatever machine it was taken. `make bench` runs them all; they are not tests.
"""

import importlib
import pkgutil
from types import ModuleType


def benchmarks() -> dict[str, ModuleType]:
    """Every benchmark module by name. Modules whose name starts with an underscore are shared
    machinery, not benchmarks, so a new benchmark is just a new module here."""
    found = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if callable(getattr(module, "main", None)):
            found[info.name] = module
    return dict(sorted(found.items()))
