"""Cohort feature tables (``radiogenomics.table``): column names, long/wide, the one reader, and its CLI wrapper."""

from __future__ import annotations

import pandas as pd
import pytest
import typer

from radiogenomics.cli.tables import read_table
from radiogenomics.table import (
    FeatureColumn,
    TableReadError,
    feature_column,
    feature_columns,
    is_long,
    parse_feature_column,
    read_feature_table,
    sources,
    to_wide,
)


def _long() -> pd.DataFrame:
    rows = []
    for case, label in (("a", 0), ("b", 1)):
        for roi, mod, value in (("tumour", "ct", 1.0), ("tumour", "pet", 2.0), ("bat", "ct", 3.0)):
            rows.append({"case_id": case, "roi": roi, "modality": mod, "TP53": label,
                         "original_firstorder_Mean": value + (10 if case == "b" else 0)})
    return pd.DataFrame(rows)


def test_long_table_is_pivoted_to_one_row_per_case():
    df = _long()
    assert is_long(df)
    wide = to_wide(df)
    assert list(wide["case_id"]) == ["a", "b"]
    assert list(wide["TP53"]) == [0, 1]
    assert wide.loc[1, "tumour_pet__original_firstorder_Mean"] == 12.0
    assert wide.loc[0, "bat_ct__original_firstorder_Mean"] == 3.0
    assert not is_long(wide)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".csv.gz"])
def test_every_format_reads_the_same(tmp_path, suffix):
    df = _long()
    path = tmp_path / f"features{suffix}"
    if suffix == ".parquet":
        df.to_parquet(path)
    else:
        df.to_csv(path, sep="\t" if suffix == ".tsv" else ",", index=False)
    pd.testing.assert_frame_equal(read_table(path), to_wide(df))


def test_missing_and_unsupported_files_are_clear_errors(tmp_path):
    with pytest.raises(typer.BadParameter, match="file not found"):
        read_table(tmp_path / "nope.csv")
    bad = tmp_path / "features.xlsx"
    bad.write_text("x")
    with pytest.raises(typer.BadParameter, match=r"\.parquet, \.csv or \.tsv"):
        read_table(bad)


def test_reader_errors_are_typed(tmp_path):
    with pytest.raises(TableReadError, match="file not found"):
        read_feature_table(tmp_path / "nope.parquet")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(TableReadError, match=r"cannot read broken\.parquet"):
        read_feature_table(broken)


@pytest.mark.parametrize(("name", "parts"), [
    ("tumour_pet__original_glcm_Contrast", ("tumour", "pet", "original_glcm_Contrast")),
    ("lymph_node_ct__wavelet-LLH_firstorder_Mean", ("lymph_node", "ct", "wavelet-LLH_firstorder_Mean")),
    ("tumour_mri_t1__original_shape_Sphericity", ("tumour", "mri_t1", "original_shape_Sphericity")),
    ("bat_pet__suv_SUVpeak", ("bat", "pet", "suv_SUVpeak")),
    ("sum_variance__tissue_T1", None),  # a foreign name with '__': 'variance' is not a modality
    ("original_glcm_Contrast", None),
    ("TP53", None),
])
def test_column_names_parse_and_build(name, parts):
    parsed = parse_feature_column(name)
    if parts is None:
        assert parsed is None
        return
    assert parsed == FeatureColumn(*parts)
    assert feature_column(*parts) == name
    assert parsed.source == f"{parts[0]}_{parts[1]}"


def test_feature_columns_and_sources():
    df = pd.DataFrame({"case_id": ["a"], "TP53": [1], "age": [50.0], "grade": ["G2"],
                       "tumour_ct__original_firstorder_Mean": [1.0], "bat_pet__original_firstorder_Mean": [2.0],
                       "tumour_ct__original_glcm_Contrast": [3.0]})
    assert feature_columns(df, reserved=["TP53"]) == ["tumour_ct__original_firstorder_Mean",
                                                      "bat_pet__original_firstorder_Mean",
                                                      "tumour_ct__original_glcm_Contrast"]
    assert feature_columns(df, pattern="glcm") == ["tumour_ct__original_glcm_Contrast"]
    assert sources(df.columns) == {"tumour_ct": ["tumour_ct__original_firstorder_Mean",
                                                 "tumour_ct__original_glcm_Contrast"],
                                   "bat_pet": ["bat_pet__original_firstorder_Mean"]}
    bare = pd.DataFrame({"case_id": ["a"], "y": [1], "original_firstorder_Mean": [1.0], "age": [3.0]})
    assert feature_columns(bare, reserved=["y"]) == ["original_firstorder_Mean"]
    assert feature_columns(bare[["case_id", "age"]]) == ["age"]
