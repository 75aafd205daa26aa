"""Package exports that load on first use, so that importing a package (e.g. for the command line) stays fast.

A package's ``__init__`` declares which module holds each exported name and gets ``__getattr__`` and
``__all__`` from :func:`lazy_exports`; ``from radiogenomics.stats import compare_groups`` then imports
``radiogenomics.stats.groups`` at that moment, not when ``radiogenomics.stats`` is first imported.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, exports: Mapping[str, Iterable[str]]) -> tuple[Callable[[str], Any], list[str]]:
    """``(__getattr__, __all__)`` of ``package`` whose names load from their modules on first use.

    Parameters
    ----------
    package
        The package's ``__name__``.
    exports
        ``{module: names}``; a module is relative to the package (``"groups"``) or absolute
        (``"radiogenomics.io.manifest"``).
    """
    where = {name: module for module, names in exports.items() for name in names}
    # a name that is also the name of a submodule (``stats.table1``, the function, in ``stats/table1.py``) is bound
    # now: the import system sets the package attribute to the module when the submodule is first imported, which
    # would shadow a lazy name for good
    this = sys.modules[package]
    submodules = {m.name for m in pkgutil.iter_modules(getattr(this, "__path__", []))}
    for name in sorted(set(where) & submodules):
        module = where[name]
        full = module if module.startswith("radiogenomics.") else f"{package}.{module}"
        setattr(this, name, getattr(importlib.import_module(full), name))

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        full = module if module.startswith("radiogenomics.") else f"{package}.{module}"
        value = getattr(importlib.import_module(full), name)
        setattr(sys.modules[package], name, value)  # later look-ups skip this function
        return value

    return __getattr__, sorted(where)
