"""The shared table reader of the table commands (``radiogenomics.cli.tables``)."""

from __future__ import annotations

import pandas as pd
import pytest
import typer

from radiogenomics.cli.tables import is_long, read_table, to_wide


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
