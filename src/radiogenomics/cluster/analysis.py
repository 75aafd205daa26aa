"""One clustering analysis of a cohort table, written to a folder (the ``cluster`` command and study stage).

:func:`run_clustering` embeds the patients (out-of-fold Transformer deep features trained on the first target,
or scaled + PCA radiomic features), clusters them for every k of the range
(:func:`~radiogenomics.cluster.cluster_patients`, k chosen by the smallest Davies–Bouldin index), tests the
clusters against the targets, clinical and annotation variables (:func:`~radiogenomics.cluster.cluster_association`),
compares every cluster with the rest on the deep and the radiomic features
(:func:`~radiogenomics.cluster.cluster_vs_rest`), compares the deep features between the target-positive and
target-negative patients of every binary target (:func:`~radiogenomics.cluster.features_by_target`) and draws the
figures. Clinical variables are tested, never used to build the embedding (that would make their association
circular).

The deep features against the targets: the transformer embedding is out of fold (each patient's coordinates come
from a model that never saw that patient), so testing it against the target it was trained on (the first one) is
not circular in-sample fitting; but the embedding was trained to separate that target, so that panel is expected
to show a separation (a check that the embedding learnt the target, not a discovery). The other targets were not
used to build the embedding.

Files written under ``outdir``:

``embeddings.parquet``      ``case_id`` (or ``row``) + the embedding columns (``deep_000 ..`` or ``pc_000 ..``)
``clusters.parquet``        ``case_id`` (or ``row``), ``cluster`` (0 .. k-1 at the chosen k)
``scores.parquet``          validity indices per k (``k``, ``davies_bouldin``, ``silhouette``,
                            ``calinski_harabasz``, ``stability_ari``)
``association.parquet``     :func:`~radiogenomics.cluster.cluster_association` table
``volcano_deep.parquet``    cluster-vs-rest tests of the embedding columns
``volcano_radiomic.parquet`` cluster-vs-rest tests of the radiomic features
``volcano_deep_target.parquet`` target-positive vs target-negative tests of the embedding columns, per binary
                            target (``target``, ``comparison`` ``"<target>: 1 vs 0"``, ``n_pos``, ``n_neg`` ...)
``dbi.png|svg``, ``tsne.png|svg``, ``heatmap.png|svg``, ``volcano_deep.png|svg``, ``volcano_radiomic.png|svg``,
``volcano_deep_target.png|svg`` (one panel per target)
``cluster.json``            chosen k, scores, association records, settings, seed, version, warnings
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from radiogenomics import __version__
from radiogenomics.cluster.association import cluster_association, cluster_vs_rest, features_by_target
from radiogenomics.cluster.cluster import ClusterResult, cluster_patients
from radiogenomics.cluster.embed import feature_embedding, oof_transformer_embeddings
from radiogenomics.cluster.errors import ClusterError
from radiogenomics.cluster.figures import cluster_heatmap, scores_figure, tsne_figure, tsne_map
from radiogenomics.errors import UnknownNameError
from radiogenomics.plotting import save_figure
from radiogenomics.stats import volcano_grid
from radiogenomics.table import feature_columns

__all__ = ["EMBEDDINGS", "ClusterOutputs", "run_clustering"]

logger = logging.getLogger(__name__)

EMBEDDINGS = ("transformer", "features")


@dataclass
class ClusterOutputs:
    """What :func:`run_clustering` computed and wrote.

    Attributes
    ----------
    result : the :class:`~radiogenomics.cluster.ClusterResult`.
    association : association of the clusters with the targets, clinical and annotation variables.
    figures : figure name (``dbi``, ``tsne``, ``heatmap``, ``volcano_deep``, ``volcano_radiomic``,
        ``volcano_deep_target``) → PNG path.
    outdir : the output folder.
    embedding : the embedding that was clustered (index ``case_id`` or row).
    volcano_deep, volcano_radiomic : cluster-vs-rest tables (``None`` when not computed, see ``warnings``).
    volcano_deep_target : target-positive vs target-negative tests of the embedding columns
        (:func:`~radiogenomics.cluster.features_by_target`; ``None`` when no target could be compared, see
        ``warnings``, or no target was given).
    written : every file written.
    warnings : analyses left out, with the reason.
    """

    result: ClusterResult
    association: pd.DataFrame
    figures: dict[str, Path]
    outdir: Path
    embedding: pd.DataFrame | None = None
    volcano_deep: pd.DataFrame | None = None
    volcano_radiomic: pd.DataFrame | None = None
    volcano_deep_target: pd.DataFrame | None = None
    written: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _json_value(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _json_value(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_json_value(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    if v is pd.NA:
        return None
    return v


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [_json_value(r) for r in df.astype(object).to_dict(orient="records")]


def _check_columns(table: pd.DataFrame, names: Iterable[str], kind: str) -> None:
    for name in names:
        if name not in table.columns:
            raise UnknownNameError(kind, name, [str(c) for c in table.columns])


def run_clustering(
    table: pd.DataFrame,
    outdir: str | Path,
    *,
    targets: Sequence[str],
    clinical: Sequence[str] = (),
    annotate: Sequence[str] = (),
    embedding: str = "transformer",
    k_range: Iterable[int] = range(2, 10),
    seed: int = 0,
    transformer_params: Mapping | None = None,
    n_boot: int = 50,
    linkage: str = "ward",
    columns: Sequence[str] | None = None,
) -> ClusterOutputs:
    """Embed, cluster, test and draw; write everything into ``outdir`` (files in the module docstring).

    Parameters
    ----------
    table : pandas.DataFrame
        Cohort table, one row per patient: ``case_id``, feature columns ``<roi>_<modality>__<feature>``, clinical
        and target columns.
    outdir : path
        Output folder (created).
    targets : sequence of str
        Target columns; the first one trains the transformer embedding; all are tested against the clusters and
        drawn as annotation bars; the embedding columns are compared between the classes of each 0/1 target
        (a target with fewer than 3 patients in a class is left out, with a warning).
    clinical : sequence of str
        Clinical columns tested against the clusters.
    annotate : sequence of str
        Further columns for the heatmap's annotation bars (e.g. ``cancer_type``); also tested.
    embedding : {"transformer", "features"}
        Out-of-fold Transformer deep features, or scaled + PCA radiomic features.
    k_range : iterable of int
        Numbers of clusters to try.
    seed : int
        Seed of the folds, the transformers, the PCA, the bootstrap and t-SNE.
    transformer_params : mapping, optional
        :class:`~radiogenomics.models.transformer.FeatureTokenTransformer` parameters.
    n_boot : int
        Bootstrap resamples of the stability index (0: not computed).
    linkage : str
        Agglomeration method (:data:`~radiogenomics.cluster.cluster.LINKAGES`).
    columns : sequence of str, optional
        Radiomic feature columns (default: the ``<roi>_<modality>__`` prefixed numeric columns, else every numeric
        column other than ``case_id``, targets, clinical and annotation columns).

    Returns
    -------
    ClusterOutputs
    """
    if embedding not in EMBEDDINGS:
        raise UnknownNameError("embedding", embedding, EMBEDDINGS)
    targets, clinical, annotate = list(targets), list(clinical), list(annotate)
    _check_columns(table, targets, "target column")
    _check_columns(table, clinical, "clinical column")
    _check_columns(table, annotate, "annotation column")
    if embedding == "transformer" and not targets:
        raise ClusterError("the transformer embedding needs a target (targets=[...]); or use embedding='features'")
    ks = sorted({int(k) for k in k_range})
    reserved = [*targets, *clinical, *annotate]
    if columns is None:
        feats = [c for c in feature_columns(table, None, reserved) if c not in reserved]
    else:
        feats = list(columns)
        _check_columns(table, feats, "feature column")
    if not feats:
        raise ClusterError("no radiomic feature column found in the table")
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    table = table.reset_index(drop=True)
    id_col = "case_id" if "case_id" in table.columns else "row"
    ids = table["case_id"].to_numpy() if id_col == "case_id" else np.arange(len(table))
    warnings: list[str] = []
    written: list[Path] = []

    logger.info("embedding %d patients (%s)", len(table), embedding)
    if embedding == "transformer":
        emb = oof_transformer_embeddings(table, targets[0], columns=feats, seed=seed,
                                         transformer_params=transformer_params)
    else:
        emb = feature_embedding(table, feats, seed=seed)
    emb_cols = list(emb.columns)
    result = cluster_patients(emb.to_numpy(dtype=np.float64), ks, linkage, n_boot=n_boot, seed=seed)
    labels = result.labels

    variables = list(dict.fromkeys(reserved))
    association = cluster_association(table, labels, variables)
    for var, why in association.attrs.get("skipped", {}).items():
        warnings.append(f"association with {var!r} not tested: {why}")

    emb_table = emb.reset_index(drop=True)
    vol: dict[str, pd.DataFrame | None] = {}
    for name, frame, cols in (("volcano_deep", emb_table, emb_cols), ("volcano_radiomic", table, feats)):
        try:
            res = cluster_vs_rest(frame, labels, cols)
        except ClusterError as exc:
            logger.warning("%s not computed: %s", name, exc)
            warnings.append(f"{name} not computed: {exc}")
            vol[name] = None
            continue
        for comp, why in res.attrs.get("skipped", {}).items():
            warnings.append(f"{name}: {comp} not compared: {why}")
        vol[name] = res
    if targets:
        name = "volcano_deep_target"
        try:
            res = features_by_target(emb_table, table[list(dict.fromkeys(targets))], emb_cols)
        except ClusterError as exc:
            logger.warning("%s not computed: %s", name, exc)
            warnings.append(f"{name} not computed: {exc}")
            res = None
        else:
            for target, why in res.attrs.get("skipped", {}).items():
                warnings.append(f"{name}: {target} not compared: {why}")
        vol[name] = res

    # tables
    emb_out = emb_table.copy()
    emb_out.insert(0, id_col, ids)
    tables = {"embeddings": emb_out, "clusters": pd.DataFrame({id_col: ids, "cluster": labels.astype(np.int64)}),
              "scores": result.scores, "association": association}
    tables.update({k: v for k, v in vol.items() if v is not None})
    for name, df in tables.items():
        path = out / f"{name}.parquet"
        df.to_parquet(path, index=False)
        written.append(path)

    # figures
    figures: dict[str, Path] = {}

    def _save(name: str, fig: Any) -> None:
        paths = save_figure(fig, out / name)
        written.extend(paths)
        figures[name] = paths[0]

    _save("dbi", scores_figure(result.scores, result.k))
    coords = tsne_map(emb_table.to_numpy(dtype=np.float64), seed=seed)
    colour_by = {c: table[c] for c in [*targets[:1], *annotate[:1]]}
    _save("tsne", tsne_figure(coords, labels, colour_by))
    bars = table[list(dict.fromkeys([*targets, *annotate]))]
    _save("heatmap", cluster_heatmap(emb_table, labels, bars, tree=result.tree))
    trained_on = f"{targets[0]}: 1 vs 0" if embedding == "transformer" else None
    for name, res in vol.items():
        if res is not None:
            title = "radiomic features" if name == "volcano_radiomic" else "deep features"

            def title_fn(keys: Mapping[str, Any], t: str = title) -> str:
                note = ", embedding target" if keys["comparison"] == trained_on else ""
                return f"{keys['comparison']} ({t}{note})"

            fig = volcano_grid(res, "comparison", n_labels=5 if name == "volcano_radiomic" else 3, title_fn=title_fn)
            _save(name, fig)

    info = {
        "version": __version__,
        "embedding": embedding,
        "embedding_target": targets[0] if embedding == "transformer" else None,
        "embedding_columns": emb_cols,
        "n_patients": len(table),
        "n_features": len(feats),
        "k": result.k,
        "k_range": ks,
        "linkage": linkage,
        "rule": "k = argmin Davies-Bouldin over k_range; ties (1e-12 relative) -> smallest k",
        "cluster_sizes": np.bincount(labels).tolist(),
        "scores": _records(result.scores),
        "association": _records(association),
        "settings": {"targets": targets, "clinical": clinical, "annotate": annotate, "n_boot": n_boot,
                     "transformer_params": dict(transformer_params or {}), "columns": len(feats)},
        "seed": seed,
        "warnings": warnings,
    }
    if embedding == "features":
        info["explained_variance_ratio"] = emb.attrs.get("explained_variance_ratio")
    path = out / "cluster.json"
    path.write_text(json.dumps(_json_value(info), indent=1) + "\n")
    written.append(path)
    return ClusterOutputs(result=result, association=association, figures=figures, outdir=out, embedding=emb,
                          volcano_deep=vol.get("volcano_deep"), volcano_radiomic=vol.get("volcano_radiomic"),
                          volcano_deep_target=vol.get("volcano_deep_target"),
                          written=written, warnings=warnings)
