"""Shared fixtures of the clustering tests: one torch thread (the machine is shared), small transformers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

#: small FeatureTokenTransformer settings that keep the out-of-fold embeddings fast
SMALL_TRANSFORMER = {"d_token": 8, "n_heads": 2, "n_layers": 1, "max_epochs": 30, "patience": 5}


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread() -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
