"""The architecture as tests: the layer contract (import-linter), module-top imports, one stage interface."""

from __future__ import annotations

import ast
import inspect
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "radiogenomics"

#: Libraries imported inside functions on purpose: heavy and needed only where networks run or DICOM is read.
LAZY_OK = {"torch", "monai", "nnunetv2", "dynamic_network_architectures", "safetensors", "dask", "distributed",
           "pydicom", "highdicom", "batchgenerators", "batchgeneratorsv2", "acvl_utils"}
#: Package modules that import one of those at their top (so they load lazily too).
LAZY_MODULES = {"radiogenomics.io.dicom", "radiogenomics.io.suv", "radiogenomics.io.seg", "radiogenomics.io.rtstruct",
                "radiogenomics.segment.nnunet_trainer", "radiogenomics.synth.dicom"}


def _lint_imports() -> str:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if exe is None:
        pytest.fail("lint-imports (import-linter) is not installed: it is part of the 'test' extra")
    return exe


def test_layer_contracts_hold() -> None:
    """``lint-imports`` with the contracts of pyproject.toml: layers, and no analysis stage imports extraction."""
    res = subprocess.run([_lint_imports()], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert "2 kept, 0 broken" in res.stdout


def _function_imports(path: Path) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for sub in ast.walk(node):
                if isinstance(sub, ast.ImportFrom) and sub.module:
                    out.append((sub.lineno, sub.module))
                elif isinstance(sub, ast.Import):
                    out.extend((sub.lineno, alias.name) for alias in sub.names)
    return out


def test_library_imports_sit_at_module_top() -> None:
    """Outside the command line (which loads the stages lazily for start-up time) and the warm-up of cohort
    workers, a function imports only heavy optional libraries."""
    allowed_files = {SRC / "cohort" / "executors.py"}  # worker processes load the extraction code as they start
    bad = []
    for path in sorted(SRC.rglob("*.py")):
        if path.is_relative_to(SRC / "cli") or path in allowed_files:
            continue
        for line, module in _function_imports(path):
            if module.split(".")[0] in LAZY_OK or module in LAZY_MODULES:
                continue
            bad.append(f"{path.relative_to(ROOT)}:{line}: {module}")
    assert not bad, "function-level imports (move them to the module top):\n" + "\n".join(bad)


STAGES = ("cohort", "stats", "models", "cnn", "cluster", "segment", "report")


@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_has_one_entry_point(stage: str) -> None:
    """Every stage package exposes ``run(settings, inputs, outdir)`` (keyword-only extras allowed)."""
    import importlib

    run = importlib.import_module(f"radiogenomics.{stage}").run
    params = list(inspect.signature(run).parameters.values())
    positional = [p.name for p in params if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    assert len(positional) >= 3 and positional[0] == "settings" and positional[-1] == "outdir", positional
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[len(positional):])


def test_tests_mirror_the_source_packages() -> None:
    """Every package of ``src/radiogenomics`` has its test folder."""
    packages = {p.parent.name for p in SRC.glob("*/__init__.py")}
    missing = sorted(p for p in packages if not (ROOT / "tests" / p).is_dir())
    assert not missing, f"no tests/<package> folder for {missing}"
