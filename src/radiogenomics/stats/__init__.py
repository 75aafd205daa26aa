"""Statistics of feature tables: group comparisons, associations, correlations, Table 1, figures.

Every analysis function returns a tidy :class:`pandas.DataFrame` with fixed, documented columns
(pingouin style) and is tested against SciPy / statsmodels / pingouin:

- :func:`compare_groups` — t / Welch / Mann–Whitney / ANOVA / Kruskal–Wallis per feature, with
  effect sizes, log2 fold changes and FDR; :func:`compare_groups_by` per subset and feature source;
- :func:`categorical_association` — chi-square or Fisher's exact test, Cramér's V;
- :func:`correlate`, :func:`correlation_matrix` — Pearson / Spearman with p and FDR;
- :func:`table1` — baseline characteristics by group (:func:`write_table1`: CSV, HTML, Markdown);
- :func:`adjust_pvalues`, :func:`fdr_bh` — multiple-testing corrections;
- :func:`volcano`, :func:`volcano_grid`, :func:`correlation_heatmap` — matplotlib figures (Agg, no
  pyplot), saved as PNG and SVG by :func:`radiogenomics.plotting.save_figure`.
"""

from __future__ import annotations

from radiogenomics.stats.categorical import categorical_association, contingency_table
from radiogenomics.stats.correlation import correlate, correlation_matrix
from radiogenomics.stats.effect import (
    cohens_d,
    cramers_v,
    eta_squared,
    eta_squared_h,
    log2_fold_change,
    rank_biserial,
)
from radiogenomics.stats.errors import (
    NonFiniteValueError,
    NonNumericColumnError,
    NotEnoughGroupsError,
    StatsError,
    TooFewObservationsError,
)
from radiogenomics.stats.fdr import Correction, adjust_pvalues, bonferroni, fdr_bh, fdr_by, holm
from radiogenomics.stats.groups import (
    FoldChange,
    GroupTest,
    compare_groups,
    compare_groups_by,
    mannwhitney_exact_sf,
    split_feature_name,
)
from radiogenomics.stats.heatmap import cluster_order, correlation_heatmap, heatmap_from_matrix
from radiogenomics.stats.table1 import format_p, table1, table1_to_html, table1_to_markdown, write_table1
from radiogenomics.stats.volcano import volcano, volcano_classes, volcano_grid

__all__ = [
    "Correction",
    "FoldChange",
    "GroupTest",
    "NonFiniteValueError",
    "NonNumericColumnError",
    "NotEnoughGroupsError",
    "StatsError",
    "TooFewObservationsError",
    "adjust_pvalues",
    "bonferroni",
    "categorical_association",
    "cluster_order",
    "cohens_d",
    "compare_groups",
    "compare_groups_by",
    "contingency_table",
    "correlate",
    "correlation_heatmap",
    "correlation_matrix",
    "cramers_v",
    "eta_squared",
    "eta_squared_h",
    "fdr_bh",
    "fdr_by",
    "format_p",
    "heatmap_from_matrix",
    "holm",
    "log2_fold_change",
    "mannwhitney_exact_sf",
    "rank_biserial",
    "split_feature_name",
    "table1",
    "table1_to_html",
    "table1_to_markdown",
    "volcano",
    "volcano_classes",
    "volcano_grid",
    "write_table1",
]
