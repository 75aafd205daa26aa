"""Cohort manifest: one row per case, paths to images and masks, clinical and target columns (DESIGN §2).

Columns
-------
``case_id``
    Unique, non-empty identifier of the case (the only patient-related text written to logs).
modality columns
    ``ct``, ``pet``, ``mri_<sequence>`` (e.g. ``mri_t1``): a path to an image file (NIfTI, NRRD,
    MetaImage) or to a folder holding one DICOM series.
mask columns
    ``<roi>_mask``: the ROI drawn on the CT grid (on the modality's own grid in a manifest without CT);
    ``<roi>_mask_<modality>``: the ROI drawn on that modality's own grid (e.g. ``tumour_mask_pet`` for
    a contour drawn on the PET). A modality-specific mask takes precedence for that modality; an empty
    cell falls back to ``<roi>_mask``. A mask is a label map file (NIfTI, NRRD, MetaImage), a DICOM SEG or
    a DICOM RTSTRUCT (rasterised on the grid of its image); ``file#name`` picks one segment, ROI or label
    (:meth:`Manifest.input`).
anything else
    Clinical and target columns, kept as they are.

Relative paths are relative to the manifest's folder. A manifest is a CSV file, or a YAML file holding
a list of records (or a mapping with a ``cases`` list) with the same keys.

:func:`check_manifest` checks everything that can be checked without reading an image — required
columns, modality names, duplicate and empty ids, empty cells, missing files — and returns *every*
problem at once; :class:`ManifestError` carries them all. What a run needs (which ROIs and modalities,
which cells of a row) is given by the stage that runs (e.g. :func:`radiogenomics.cohort.validate_manifest`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from radiogenomics.errors import RadiogenomicsError, suggest
from radiogenomics.table import is_modality

__all__ = ["MASK_COLUMN", "Manifest", "ManifestError", "ManifestProblem", "check_manifest", "read_manifest"]

logger = logging.getLogger(__name__)

#: A mask column: ``<roi>_mask`` or ``<roi>_mask_<modality>``.
MASK_COLUMN = re.compile(r"^(?P<roi>[a-z][a-z0-9_]*?)_mask(?:_(?P<modality>[a-z0-9_]+))?$")


@dataclass(frozen=True)
class ManifestProblem:
    """One problem found in a manifest.

    Attributes
    ----------
    kind
        ``missing_column``, ``unknown_modality``, ``conflicting_column``, ``empty_id``, ``duplicate_id``,
        ``empty_cell``, ``missing_file``, ``unsupported_file`` or ``empty_manifest``.
    message
        What is wrong and how to fix it.
    case_id
        The case concerned, or ``None`` for a problem of the whole manifest.
    column
        The column concerned, if any.
    """

    kind: str
    message: str
    case_id: str | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = f"case {self.case_id!r}" if self.case_id is not None else "manifest"
        return f"{where}: {self.message}"


class ManifestError(RadiogenomicsError, ValueError):
    """The manifest cannot be used; ``problems`` lists every problem found (all at once)."""

    def __init__(self, problems: Iterable[ManifestProblem], source: str = "manifest"):
        self.problems = list(problems)
        lines = "\n  ".join(str(p) for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in {source}:\n  {lines}")

    def __reduce__(self) -> tuple[type, tuple[list[ManifestProblem], str]]:  # picklable
        return type(self), (self.problems, "manifest")


@dataclass(frozen=True)
class Manifest:
    """A parsed manifest (structure only; see :func:`validate_manifest` for the checks).

    Attributes
    ----------
    table
        The rows as read, ``case_id`` as text; every other column unchanged.
    base
        Folder that relative paths are relative to.
    source
        Where the manifest came from (file name, for messages).
    """

    table: pd.DataFrame
    base: Path
    source: str = "manifest"

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(str(c) for c in self.table.columns)

    @property
    def modalities(self) -> tuple[str, ...]:
        """Modality columns present, in column order."""
        return tuple(c for c in self.columns if is_modality(c))

    def mask_columns(self) -> dict[str, dict[str | None, str]]:
        """``{roi: {modality or None: column}}`` for every mask column (``None``: the generic ``<roi>_mask``)."""
        out: dict[str, dict[str | None, str]] = {}
        for col in self.columns:
            m = MASK_COLUMN.match(col)
            if m:
                out.setdefault(m["roi"], {})[m["modality"]] = col
        return out

    @property
    def clinical_columns(self) -> tuple[str, ...]:
        """Columns that are neither ``case_id``, a modality nor a mask."""
        return tuple(c for c in self.columns if c != "case_id" and not is_modality(c) and not MASK_COLUMN.match(c))

    def clinical(self, case_ids: Sequence[str]) -> pd.DataFrame:
        """``case_id`` and the clinical columns of ``case_ids`` (each id's first row), in this order.

        A column mixing text and numbers becomes text, so that the table can be written to Parquet.
        """
        first: dict[str, int] = {}
        for row in range(len(self.table)):
            first.setdefault(self.cell(row, "case_id"), row)
        sub = self.table.iloc[[first[c] for c in case_ids]][list(self.clinical_columns)].reset_index(drop=True)
        for col in sub.columns:
            if sub[col].dtype == object:
                kinds = {type(v) for v in sub[col] if _text(v)}
                if len(kinds) > 1:
                    sub[col] = [_text(v) or None for v in sub[col]]
        sub.insert(0, "case_id", pd.Series(list(case_ids), dtype=object))
        return sub

    def case_ids(self) -> list[str]:
        """Distinct case ids (empty ones excluded), sorted."""
        if "case_id" not in self.table:
            return []
        ids = {_text(v) for v in self.table["case_id"]}
        return sorted(i for i in ids if i)

    def cell(self, row: int, column: str) -> str:
        """The text of one cell (``""`` when empty or missing)."""
        if column not in self.table:
            return ""
        return _text(self.table[column].iloc[row])

    def path(self, row: int, column: str) -> Path | None:
        """The path in one cell, made absolute against :attr:`base` (``None`` for an empty cell)."""
        return self.input(row, column)[0]

    def input(self, row: int, column: str) -> tuple[Path | None, str | None]:
        """The path in one cell and its ROI selector.

        A mask cell may name one ROI of a DICOM RTSTRUCT or one segment of a DICOM SEG after a ``#``:
        ``rtstruct.dcm#GTV_Mass_PET``, ``seg.dcm#3`` (segment number) or ``seg.dcm#Neoplasm`` (segment label),
        or one label of a label map: ``labels.nii.gz#2``.
        """
        text = self.cell(row, column)
        if not text:
            return None, None
        selector = None
        if "#" in text:
            head, tail = text.rsplit("#", 1)
            if head and tail and "/" not in tail and not self._absolute(text).exists() \
                    and self._absolute(head).is_file():
                text, selector = head, tail
        return self._absolute(text), selector

    def _absolute(self, text: str) -> Path:
        p = Path(text).expanduser()
        return p if p.is_absolute() else self.base / p

    def mask_column(self, row: int, roi: str, modality: str) -> tuple[str | None, str | None]:
        """The mask column used for ``(roi, modality)`` in ``row`` and the modality whose grid it is on.

        ``<roi>_mask_<modality>`` when that cell is filled; else ``<roi>_mask``, which is on the CT grid
        (on ``modality``'s own grid when the manifest has no CT). ``(None, None)`` when neither exists.
        """
        columns = self.mask_columns().get(roi, {})
        specific = columns.get(modality)
        if specific is not None and self.cell(row, specific):
            return specific, modality
        generic = columns.get(None)
        if generic is not None:
            return generic, ("ct" if "ct" in self.modalities else modality)
        if specific is not None:
            return specific, modality
        return None, None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value).strip()


def read_manifest(source: str | Path | pd.DataFrame | Sequence[Mapping[str, Any]], base: str | Path | None = None
                  ) -> Manifest:
    """Read a manifest from a CSV or YAML file, a DataFrame or a list of records.

    Parameters
    ----------
    source
        ``*.csv``, ``*.yaml``/``*.yml`` file, :class:`pandas.DataFrame` or a list of mappings.
    base
        Folder for relative paths (default: the manifest file's folder, else the working directory).

    Raises
    ------
    ManifestError
        The file is missing or cannot be parsed, or holds no rows.
    """
    name = "manifest"
    if isinstance(source, pd.DataFrame):
        table = source.copy()
        folder = Path(base) if base is not None else Path.cwd()
    elif isinstance(source, str | Path):
        path = Path(source)
        name = path.name
        folder = Path(base) if base is not None else path.resolve().parent
        if not path.is_file():
            raise ManifestError([ManifestProblem("missing_file", f"manifest file not found: {path}")], name)
        table = _read_file(path)
    else:
        table = pd.DataFrame(list(source))
        folder = Path(base) if base is not None else Path.cwd()
    table.columns = [str(c).strip() for c in table.columns]
    if "case_id" in table:
        table["case_id"] = [_text(v) for v in table["case_id"]]
    table = table.reset_index(drop=True)
    return Manifest(table=table, base=folder, source=name)


def _read_file(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix in (".yaml", ".yml"):
            data = yaml.safe_load(path.read_text())
            if isinstance(data, Mapping) and "cases" in data:
                data = data["cases"]
            if not isinstance(data, list) or not all(isinstance(r, Mapping) for r in data):
                raise ManifestError([ManifestProblem(
                    "unsupported_file", "a YAML manifest must be a list of records or a mapping with a 'cases' list"
                )], path.name)
            return pd.DataFrame(data)
        # CSV: case ids as text, so ids like 007 keep their zeros; clinical columns get pandas' types
        return pd.read_csv(path, dtype={"case_id": str}, skipinitialspace=True)
    except ManifestError:
        raise
    except Exception as exc:  # parser errors of pandas / yaml
        raise ManifestError([ManifestProblem("unsupported_file", f"cannot parse {path.name}: {exc}")],
                            path.name) from None


def _check_path(path: Path, column: str) -> str | None:
    """Why ``path`` cannot be an input (``None`` when it can)."""
    if path.is_dir():
        if not any(p.is_file() for p in path.rglob("*")):
            return f"{column}: folder {path} holds no file (a DICOM series folder was expected)"
        return None
    if not path.exists():
        return f"{column}: file not found: {path}"
    if not path.is_file():
        return f"{column}: {path} is not a regular file"
    return None


def check_manifest(
    manifest: Manifest,
    *,
    modalities: Sequence[str],
    rois: Sequence[str],
    computed_rois: Mapping[str, str] | None = None,
    required: Callable[[int], Iterable[str]] | None = None,
) -> list[ManifestProblem]:
    """Every problem of ``manifest`` for a run over ``rois`` × ``modalities``, found without reading an image.

    Whole-manifest problems (``case_id`` is ``None``): no ``case_id`` column, no rows, a requested
    modality without a column (the closest column is suggested), a mask column naming an unknown
    modality, a requested ROI without a mask column, a mask column for a ROI the run computes itself
    (``computed_rois``: ROI → how it is computed, e.g. ``{"bat": "from CT and PET by the BAT rule"}``).
    Per-case problems: empty or duplicate ids, and empty cells and missing
    files in the columns ``required(row)`` names for a row.
    """
    problems: list[ManifestProblem] = []
    columns = manifest.columns
    table = manifest.table
    if "case_id" not in columns:
        problems.append(ManifestProblem(
            "missing_column", f"no 'case_id' column.{suggest('case_id', columns)} Columns: {', '.join(columns)}",
            column="case_id"))
    if len(table) == 0:
        problems.append(ManifestProblem("empty_manifest", "the manifest has no rows"))

    present = set(manifest.modalities)
    for modality in modalities:
        if modality not in present:
            problems.append(ManifestProblem(
                "unknown_modality",
                f"modality {modality!r} is requested but the manifest has no {modality!r} column."
                f"{suggest(modality, columns)} Modality columns: {', '.join(sorted(present)) or 'none'}",
                column=modality))
    for col in columns:
        if col in ("case_id",) or is_modality(col):
            continue
        m = MASK_COLUMN.match(col)
        if m and m["modality"] is not None and not is_modality(m["modality"]):
            problems.append(ManifestProblem(
                "unknown_modality",
                f"mask column {col!r} names unknown modality {m['modality']!r} "
                f"(modalities: ct, pet, mri_<sequence>).{suggest(m['modality'], ['ct', 'pet', *present])}",
                column=col))
        elif m and m["modality"] is not None and m["modality"] not in present:
            problems.append(ManifestProblem(
                "unknown_modality",
                f"mask column {col!r} belongs to modality {m['modality']!r}, which has no image column",
                column=col))

    mask_columns = manifest.mask_columns()
    for roi in rois:
        if roi in (computed_rois or {}):
            if roi in mask_columns:
                problems.append(ManifestProblem(
                    "conflicting_column", f"the {roi!r} ROI is computed {computed_rois[roi]}; remove the column(s) "
                    f"{sorted(mask_columns[roi].values())} or name the ROI differently",
                    column=next(iter(mask_columns[roi].values()))))
            continue
        if roi not in mask_columns:
            problems.append(ManifestProblem(
                "missing_column",
                f"ROI {roi!r} has no mask column: add {roi + '_mask'!r} (or {roi + '_mask_<modality>'!r})."
                f"{suggest(roi + '_mask', columns)}", column=roi + "_mask"))
            continue
        if None not in mask_columns[roi]:
            for modality in modalities:
                if modality not in mask_columns[roi]:
                    problems.append(ManifestProblem(
                        "missing_column", f"ROI {roi!r} has no mask for modality {modality!r}: add "
                        f"{roi + '_mask'!r} (on the CT grid) or {roi + '_mask_' + modality!r}",
                        column=f"{roi}_mask_{modality}"))
    if any(p.case_id is None for p in problems) or "case_id" not in columns:
        return problems

    seen: dict[str, list[int]] = {}
    for row in range(len(table)):
        cid = manifest.cell(row, "case_id")
        if not cid:
            problems.append(ManifestProblem("empty_id", f"row {row + 2} has an empty case_id", column="case_id"))
            continue
        seen.setdefault(cid, []).append(row)
    for cid, rows in seen.items():
        if len(rows) > 1:
            where = ", ".join(str(r + 2) for r in rows)
            problems.append(ManifestProblem(
                "duplicate_id", f"case_id {cid!r} appears in {len(rows)} rows (file lines {where}); ids must be "
                "unique", case_id=cid, column="case_id"))
    if required is None:
        return problems
    for cid, rows in seen.items():
        row = rows[0]
        for column in sorted(set(required(row))):
            path = manifest.path(row, column)
            if path is None:
                problems.append(ManifestProblem("empty_cell", f"{column}: empty cell", case_id=cid, column=column))
                continue
            why = _check_path(path, column)
            if why:
                problems.append(ManifestProblem("missing_file", why, case_id=cid, column=column))
    return problems
