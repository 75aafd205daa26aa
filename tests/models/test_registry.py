"""The model registry: every model by name, one default list, search grids, closest-name errors."""

from __future__ import annotations

import pytest
from sklearn.base import clone

from radiogenomics.errors import UnknownNameError
from radiogenomics.models import DEFAULT_MODELS, MODELS, ModelParameterError, UnknownModelError, make_model
from radiogenomics.models.registry import search_grids
from radiogenomics.models.stage import ModelOptions
from radiogenomics.study import StudySettings


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_is_made_with_its_seed(name: str) -> None:
    est = make_model(name, seed=7)
    assert est.get_params()["random_state"] == 7
    clone(est)  # a valid scikit-learn estimator
    for key in MODELS[name].grid:
        assert key.startswith("model__") and key[len("model__"):] in est.get_params()


def test_one_default_list_everywhere() -> None:
    assert DEFAULT_MODELS == ("transformer", "lasso")
    assert ModelOptions().models == DEFAULT_MODELS
    study = StudySettings.validate_dict({"data": {"synthetic": {}}, "targets": ["TP53"]})
    assert study.models.models == DEFAULT_MODELS and study.model_settings("TP53").models == DEFAULT_MODELS
    assert set(search_grids()) == set(MODELS)


def test_unknown_names_and_parameters() -> None:
    with pytest.raises(UnknownModelError, match="Did you mean 'lasso'"):
        make_model("lassso")
    with pytest.raises(UnknownNameError, match="Did you mean 'rf'"):
        ModelOptions.validate_dict({"models": ["rff"]})
    with pytest.raises(ModelParameterError, match="d_tokn"):
        make_model("transformer", params={"d_tokn": 8})
    assert make_model("transformer", params={"d_token": 8}).d_token == 8
