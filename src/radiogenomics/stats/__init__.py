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
  pyplot), saved as PNG and SVG by :func:`radiogenomics.plotting.save_figure`;
- :func:`run` with :class:`StatsSettings` — the stage: one analysis of a cohort table written to a folder
  (the ``stats`` command and the study's ``stats`` stage).
"""

from __future__ import annotations

from radiogenomics.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "categorical": ("categorical_association", "contingency_table"),
    "correlation": ("correlate", "correlation_matrix"),
    "effect": ("cohens_d", "cramers_v", "eta_squared", "eta_squared_h", "log2_fold_change", "rank_biserial"),
    "errors": (
        "NonFiniteValueError", "NonNumericColumnError", "NotEnoughGroupsError", "StatsError",
        "TooFewObservationsError"
    ),
    "fdr": ("Correction", "adjust_pvalues", "bonferroni", "fdr_bh", "fdr_by", "holm"),
    "groups": (
        "FoldChange", "GroupTest", "compare_groups", "compare_groups_by", "mannwhitney_exact_sf", "split_feature_name"
    ),
    "heatmap": ("cluster_order", "correlation_heatmap", "heatmap_from_matrix"),
    "stage": ("StatsOptions", "StatsSettings", "run"),
    "table1": ("format_p", "table1", "table1_to_html", "table1_to_markdown", "write_table1"),
    "volcano": ("volcano", "volcano_classes", "volcano_grid"),
})
