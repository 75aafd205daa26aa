"""Deep-feature clustering of patients (as in the seed study: Transformer deep features → agglomerative clustering).

- :func:`oof_transformer_embeddings` — out-of-fold CLS representations of a
  :class:`~radiogenomics.models.transformer.FeatureTokenTransformer` (no patient embedded by a model trained on it);
  :func:`feature_embedding` — scaled + PCA radiomic features;
- :func:`cluster_patients` — agglomerative clustering for k in a range, Davies–Bouldin / silhouette /
  Calinski–Harabasz (:mod:`radiogenomics.cluster.scores`), k chosen by the smallest Davies–Bouldin index,
  bootstrap stability (adjusted Rand index);
- :func:`cluster_association` (chi-square / Fisher / Kruskal–Wallis of clusters vs variables),
  :func:`cluster_vs_rest` and :func:`features_by_target` (feature tests for the volcano plots: each cluster vs the
  rest, target-positive vs target-negative);
- :func:`scores_figure`, :func:`tsne_map`, :func:`tsne_figure`, :func:`cluster_heatmap`;
- :func:`run_clustering` — all of it, written to a folder (``radiogenomics cluster``).
"""

from __future__ import annotations

from radiogenomics.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "association": ("ASSOCIATION_COLUMNS", "cluster_association", "cluster_vs_rest", "features_by_target"),
    "cluster": ("LINKAGES", "SCORE_COLUMNS", "ClusterResult", "cluster_patients"),
    "embed": ("feature_embedding", "oof_transformer_embeddings"),
    "errors": ("ClusterError",),
    "figures": ("cluster_heatmap", "scores_figure", "tsne_figure", "tsne_map"),
    "analysis": ("EMBEDDINGS", "ClusterOutputs", "run_clustering"),
    "scores": ("calinski_harabasz", "cluster_scores", "davies_bouldin", "silhouette"),
    "stage": ("ClusterOptions", "ClusterSettings", "run"),
})
