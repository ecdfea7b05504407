"""The trainer with a learned asset embedding: indices reach the network, late assets are handled."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from deepmomentum.features import build_features
from deepmomentum.models import embedded_assets
from deepmomentum.training import (
    LossSpec,
    TrainParams,
    build_panel,
    inference_sequences,
    predict,
    train_network,
    training_sequences,
)
from tests.conftest import random_prices

PARAMS = TrainParams(hidden_size=4, dropout=0.0, batch_size=16, lr=1e-2, max_epochs=2, patience=2, n_heads=1)


@pytest.fixture(scope="module")
def panel():
    # the last of 4 assets starts on day 300, its inputs a year later: none before day 550
    return build_panel(build_features(random_prices(n_days=900, n_assets=4)))


def _train(panel, n_assets: int):
    train = training_sequences(panel, 0, 450, seq_len=21)
    val = training_sequences(panel, 450, 550, seq_len=21)
    assert set(train.asset.tolist()) == {0, 1, 2}
    return train_network("tft", PARAMS, LossSpec(), train, val, seed=3, n_assets=n_assets)


def test_embedding_is_trained_for_the_training_assets_only(panel) -> None:
    res = _train(panel, n_assets=4)
    assert embedded_assets(res.state_dict) == 4
    assert res.state_dict["asset_seen"].tolist() == [True, True, True, False]
    test = inference_sequences(panel, 600, 700, seq_len=21)
    assert 3 in set(test.asset.tolist())
    pos = predict("tft", PARAMS, LossSpec(), res.state_dict, test)
    assert np.isfinite(pos[test.mask]).all()
    assert np.abs(pos[test.mask]).max() <= 1.0
    # the late asset trades with the mean of the trained rows: writing that mean into its row
    # (and marking every row trained) gives the same positions
    state = dict(res.state_dict)
    weight = state["asset_embedding.weight"].clone()
    weight[3] = weight[:3].mean(dim=0)
    state["asset_embedding.weight"] = weight
    state["asset_seen"] = torch.ones(4, dtype=torch.bool)
    filled = predict("tft", PARAMS, LossSpec(), state, test)
    np.testing.assert_allclose(filled[test.mask], pos[test.mask], atol=1e-6)
    raw = dict(state, asset_seen=torch.ones(4, dtype=torch.bool))
    raw["asset_embedding.weight"] = res.state_dict["asset_embedding.weight"]
    late = test.mask & (test.asset == 3)[:, None]
    untrained = predict("tft", PARAMS, LossSpec(), raw, test)  # the row's random init instead
    assert not np.allclose(untrained[late], pos[late])


def test_predict_passes_each_sequences_asset(panel) -> None:
    """Relabelling the sequences' assets changes the positions: the index reaches the network."""
    res = _train(panel, n_assets=4)
    test = inference_sequences(panel, 600, 700, seq_len=21)
    pos = predict("tft", PARAMS, LossSpec(), res.state_dict, test)
    relabelled = type(test)(**{**test.__dict__, "asset": (test.asset + 1) % 3})
    pos2 = predict("tft", PARAMS, LossSpec(), res.state_dict, relabelled)
    assert not np.allclose(pos[test.mask], pos2[test.mask])


def test_without_an_embedding_the_weights_have_none(panel) -> None:
    res = _train(panel, n_assets=0)
    assert embedded_assets(res.state_dict) == 0
    assert "static_vector" in res.state_dict
    test = inference_sequences(panel, 600, 700, seq_len=21)
    relabelled = type(test)(**{**test.__dict__, "asset": np.zeros_like(test.asset)})
    a = predict("tft", PARAMS, LossSpec(), res.state_dict, test)
    b = predict("tft", PARAMS, LossSpec(), res.state_dict, relabelled)
    np.testing.assert_array_equal(a, b)  # the asset index is ignored
    assert torch.is_tensor(res.state_dict["static_vector"])
