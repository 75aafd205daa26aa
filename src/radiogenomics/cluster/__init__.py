"""Deep-feature clustering of patients (as in the seed study: Transformer deep features → agglomerative clustering).

- :func:`oof_transformer_embeddings` — out-of-fold CLS representations of a
  :class:`~radiogenomics.models.transformer.FeatureTokenTransformer` (no patient embedded by a model trained on it);
  :func:`feature_embedding` — scaled + PCA radiomic features;
- :func:`cluster_patients` — agglomerative clustering for k in a range, Davies–Bouldin / silhouette /
  Calinski–Harabasz (:mod:`radiogenomics.cluster.scores`), k chosen by the smallest Davies–Bouldin index,
  bootstrap stability (adjusted Rand index);
- :func:`cluster_association` (chi-square / Fisher / Kruskal–Wallis of clusters vs variables) and
  :func:`cluster_vs_rest` (feature tests for the volcano plots);
- :func:`scores_figure`, :func:`tsne_map`, :func:`tsne_figure`, :func:`cluster_heatmap`;
- :func:`run_clustering` — all of it, written to a folder (``radiogenomics cluster``).
"""

from __future__ import annotations

import logging

from radiogenomics.cluster.association import ASSOCIATION_COLUMNS, cluster_association, cluster_vs_rest
from radiogenomics.cluster.cluster import LINKAGES, SCORE_COLUMNS, ClusterResult, cluster_patients
from radiogenomics.cluster.embed import feature_embedding, oof_transformer_embeddings
from radiogenomics.cluster.errors import ClusterError
from radiogenomics.cluster.figures import cluster_heatmap, scores_figure, tsne_figure, tsne_map
from radiogenomics.cluster.run import EMBEDDINGS, ClusterOutputs, run_clustering
from radiogenomics.cluster.scores import calinski_harabasz, cluster_scores, davies_bouldin, silhouette

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "ASSOCIATION_COLUMNS",
    "EMBEDDINGS",
    "LINKAGES",
    "SCORE_COLUMNS",
    "ClusterError",
    "ClusterOutputs",
    "ClusterResult",
    "calinski_harabasz",
    "cluster_association",
    "cluster_heatmap",
    "cluster_patients",
    "cluster_scores",
    "cluster_vs_rest",
    "davies_bouldin",
    "feature_embedding",
    "oof_transformer_embeddings",
    "run_clustering",
    "scores_figure",
    "silhouette",
    "tsne_figure",
    "tsne_map",
]
