"""Lazy package exports (``radiogenomics.lazy``): names load on first use; a name equal to its module's name is
never shadowed by the module."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_importing_a_package_loads_none_of_its_exports() -> None:
    out = _run("import sys, radiogenomics.models, radiogenomics.cluster, radiogenomics.cnn, radiogenomics.study;"
               "print(sorted(m for m in ('sklearn', 'torch', 'matplotlib', 'pandas') if m in sys.modules))")
    assert out == "[]"
    # stats binds table1 and volcano at once (next test), which needs matplotlib, not scikit-learn or torch
    out = _run("import sys, radiogenomics.stats; print(sorted(m for m in ('sklearn', 'torch') if m in sys.modules))")
    assert out == "[]"


def test_a_name_equal_to_its_module_stays_the_function() -> None:
    out = _run("import radiogenomics.stats.table1, radiogenomics.stats.volcano\n"
               "from radiogenomics.stats import table1, volcano\nprint(callable(table1), callable(volcano))")
    assert out == "True True"


def test_unknown_names_raise_attribute_error() -> None:
    import radiogenomics.models as models

    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        models.nope  # noqa: B018
    assert models.make_model is models.registry.make_model
