"""The decoder-only Temporal Fusion Transformer (``tft``): shapes, causality, weights, training."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from deepmomentum.config import ModelVariant, SearchSpace, TrainingConfig
from deepmomentum.models import NETWORKS, TFT_HEADS, TFTNet, build_network
from deepmomentum.models._tft import GatedResidualNetwork, InterpretableMultiHeadAttention

BATCH, DAYS, N_INPUTS, HIDDEN = 3, 20, 8, 8


def _net(heads: int = 4, n_assets: int = 0, dropout: float = 0.0, seed: int = 0) -> TFTNet:
    torch.manual_seed(seed)
    return TFTNet(N_INPUTS, HIDDEN, dropout, n_heads=heads, n_assets=n_assets)


def _x(seed: int = 1) -> torch.Tensor:
    return torch.randn(BATCH, DAYS, N_INPUTS, generator=torch.Generator().manual_seed(seed))


def test_registered_as_a_sequence_network() -> None:
    assert NETWORKS["tft"].output == "sequence"
    torch.manual_seed(0)
    net = build_network("tft", N_INPUTS, hidden_size=5, dropout=0.2)
    assert isinstance(net, TFTNet)
    assert net.attention.n_heads == TFT_HEADS == 4
    assert net.attention.d_k == 1  # 5 // 4: a width that does not divide still builds
    assert net(_x()).shape == (BATCH, DAYS)
    assert ModelVariant(name="mt", model="tft").n_lags == 1


@pytest.mark.parametrize("heads", [1, 4])
def test_shapes_and_recorded_weights(heads: int) -> None:
    net = _net(heads).eval()
    z = net(_x())
    assert z.shape == (BATCH, DAYS) and torch.isfinite(z).all()
    w = net.last_weights_
    assert w["variables"].shape == (BATCH, DAYS, N_INPUTS)
    assert w["attention"].shape == (BATCH, heads, DAYS, DAYS)
    assert not w["variables"].requires_grad and not w["attention"].requires_grad


def test_variable_selection_weights_sum_to_one() -> None:
    net = _net().eval()
    net(_x() * 5)
    v = net.last_weights_["variables"]
    assert (v >= 0).all()
    torch.testing.assert_close(v.sum(-1), torch.ones(BATCH, DAYS))
    assert v.std() > 0  # weights depend on the inputs, not a constant 1/n


def test_attention_is_causal_and_rows_sum_to_one_over_the_past() -> None:
    net = _net().eval()
    net(_x())
    a = net.last_weights_["attention"]
    future = torch.ones(DAYS, DAYS, dtype=torch.bool).triu(1)
    assert (a[..., future] == 0).all()  # exactly zero, not merely small
    torch.testing.assert_close(a.sum(-1), torch.ones(BATCH, 4, DAYS))
    assert (a[..., ~future] > 0).all()
    torch.testing.assert_close(a[..., 0, 0], torch.ones(BATCH, 4))  # day 0 sees only itself


@pytest.mark.parametrize("t", [0, 7, DAYS - 2])
def test_outputs_up_to_t_ignore_later_inputs_exactly(t: int) -> None:
    net = _net().eval()
    x = _x()
    x2 = x.clone()
    x2[:, t + 1 :] += 10 * torch.randn(BATCH, DAYS - t - 1, N_INPUTS)
    z, z2 = net(x), net(x2)
    torch.testing.assert_close(z[:, : t + 1], z2[:, : t + 1], rtol=0, atol=0)
    assert not torch.allclose(z[:, t + 1 :], z2[:, t + 1 :])


def test_attention_module_alone_is_causal() -> None:
    torch.manual_seed(2)
    attn = InterpretableMultiHeadAttention(HIDDEN, 4).eval()
    x = torch.randn(2, DAYS, HIDDEN)
    x2 = x.clone()
    x2[:, 10:] = -x2[:, 10:]
    out, _ = attn(x)
    out2, _ = attn(x2)
    torch.testing.assert_close(out[:, :10], out2[:, :10], rtol=0, atol=0)
    assert not torch.allclose(out[:, 10:], out2[:, 10:])


@pytest.mark.parametrize("n_assets", [0, 3])
def test_gradients_reach_every_parameter(n_assets: int) -> None:
    net = _net(n_assets=n_assets, dropout=0.1).train()
    asset = torch.tensor([0, 1, 2]) if n_assets else None
    (net(_x(), asset) ** 2).mean().backward()
    for name, p in net.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_asset_embedding_conditions_the_output() -> None:
    net = _net(n_assets=3).eval()
    x = _x()[:1].expand(3, -1, -1)  # one sequence, three assets
    z = net(x, torch.tensor([0, 1, 2]))
    assert not torch.allclose(z[0], z[1]) and not torch.allclose(z[1], z[2])
    with pytest.raises(ValueError, match="pass asset"):
        net(x)
    with pytest.raises(ValueError, match="no asset embedding"):
        _net()(x, torch.tensor([0, 1, 2]))


def test_an_untrained_asset_gets_the_mean_of_the_trained_embeddings() -> None:
    net = _net(n_assets=3).eval()
    net.mark_seen(torch.tensor([0, 1, 1]))
    assert net.asset_seen is not None and net.asset_seen.tolist() == [True, True, False]
    static = net._static(3, torch.tensor([0, 1, 2]))
    assert net.asset_embedding is not None
    weight = net.asset_embedding.weight
    torch.testing.assert_close(static[:2], weight[:2], rtol=0, atol=0)
    torch.testing.assert_close(static[2], weight[:2].mean(dim=0))
    # what was trained travels with the weights
    copy = _net(n_assets=3, seed=7).eval()
    copy.load_state_dict(net.state_dict())
    x, asset = _x(), torch.tensor([0, 1, 2])
    torch.testing.assert_close(copy(x, asset), net(x, asset), rtol=0, atol=0)


def test_weights_without_an_embedding_keep_their_keys() -> None:
    """Models saved before the embedding existed load unchanged: no new buffer without one."""
    assert not any("asset" in k for k in _net().state_dict())
    assert {"asset_embedding.weight", "asset_seen"} <= set(_net(n_assets=2).state_dict())


def test_only_the_tft_embeds_assets() -> None:
    from deepmomentum.exceptions import ConfigError

    assert isinstance(build_network("tft", N_INPUTS, hidden_size=4, n_assets=5), TFTNet)
    with pytest.raises(ConfigError, match="no asset embedding; only tft"):
        build_network("lstm", N_INPUTS, hidden_size=4, n_assets=5)
    with pytest.raises(ValueError, match='asset_embedding needs model = "tft"'):
        ModelVariant(name="x", model="lstm", asset_embedding=True)


def test_grn_requires_its_context() -> None:
    grn = GatedResidualNetwork(4, 4, 2, context=True)
    with pytest.raises(ValueError, match="context"):
        grn(torch.randn(2, 4))
    assert grn(torch.randn(2, 5, 4), torch.randn(2, 4)).shape == (2, 5, 2)


def test_deterministic_with_a_seed() -> None:
    a, b, c = _net(dropout=0.3, seed=5), _net(dropout=0.3, seed=5), _net(dropout=0.3, seed=6)
    for (k, p), (_, q) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=0, msg=k)
    torch.manual_seed(9)
    za = a.train()(_x())
    torch.manual_seed(9)
    zb = b.train()(_x())
    torch.testing.assert_close(za, zb, rtol=0, atol=0)  # same dropout masks
    assert not torch.allclose(a.eval()(_x()), c.eval()(_x()))


@pytest.mark.parametrize("embedding", [False, True])
def test_walk_forward_on_synthetic_data(tmp_path: Path, embedding: bool) -> None:
    from deepmomentum.data import make_synthetic_market
    from deepmomentum.features import build_features
    from deepmomentum.training import SerialExecutor, build_panel, walk_forward

    prices = make_synthetic_market(
        n_per_class=1, start="2000-01-03", end="2003-12-31", late_starters=False
    ).tradable_prices
    training = TrainingConfig(
        first_test_year=2003,
        retrain_years=1,
        seq_len=21,
        max_epochs=1,
        patience=1,
        n_trials=1,
        device="cpu",
        search=SearchSpace(dropout=[0.1], hidden_size=[4], batch_size=[64], lr=[1e-2], max_grad_norm=[1.0]),
    )
    variant = ModelVariant(name="mt", model="tft", loss="sharpe", asset_embedding=embedding)
    panel = build_panel(build_features(prices), lags=variant.n_lags)
    res = walk_forward(variant, panel, training, tmp_path, seed=0, executor=SerialExecutor(), max_windows=1)
    assert res.trained == 1 and len(res.windows) == 1
    oos = res.positions.loc["2003"]
    assert float(oos.notna().to_numpy().mean()) > 0.95
    assert oos.abs().max().max() <= 1.0 and oos.abs().max().max() > 0
    assert res.positions.loc[:"2002"].isna().all().all()
    assert (tmp_path / "models" / "mt" / "window-00" / "best.pt").is_file()
    (model,) = (tmp_path / "models" / "mt" / "window-00").glob("trial-*/model.pt")
    state = torch.load(model, weights_only=True)
    if embedding:  # one row per asset of the panel, each one trained
        assert state["asset_embedding.weight"].shape == (panel.x.shape[1], 4)
        assert bool(state["asset_seen"].all())
    else:
        assert "static_vector" in state and "asset_seen" not in state


def test_heads_are_a_search_dimension_of_the_tft_only() -> None:
    """The paper searches heads {1, 4}: the walk-forward draws them for ``tft``, not for the LSTM."""
    from deepmomentum.training._walkforward import _space

    grid = SearchSpace()
    assert grid.n_heads == [1, 4]
    assert _space(ModelVariant(name="mt", model="tft"), grid)["n_heads"] == [1, 4]
    assert "n_heads" not in _space(ModelVariant(name="lstm", model="lstm"), grid)
    one = build_network("tft", N_INPUTS, hidden_size=8, dropout=0.0, n_heads=1)
    assert isinstance(one, TFTNet) and one.attention.n_heads == 1
    assert build_network("lstm", N_INPUTS, hidden_size=8, n_heads=1) is not None  # ignored
