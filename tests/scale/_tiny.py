"""Tiny walk-forward fixtures shared by the scale tests and their worker scripts."""

from __future__ import annotations

import os
from pathlib import Path

from deepmomentum.config import ModelVariant, SearchSpace, TrainingConfig
from deepmomentum.data import make_synthetic_market
from deepmomentum.features import build_features
from deepmomentum.training import PanelArrays, build_panel

TRAINING = TrainingConfig(
    first_test_year=2007,
    retrain_years=1,
    seq_len=21,
    max_epochs=2,
    patience=2,
    n_trials=4,
    device="cpu",
    search=SearchSpace(dropout=[0.1], hidden_size=[4, 6], batch_size=[64], lr=[1e-2], max_grad_norm=[1.0]),
)
LSTM = ModelVariant(name="lstm", model="lstm", loss="sharpe")


def panel() -> PanelArrays:
    prices = make_synthetic_market(
        n_per_class=2, start="2002-01-02", end="2007-12-31", late_starters=False
    ).tradable_prices
    return build_panel(build_features(prices))


def pg_url() -> str | None:
    """The test PostgreSQL URL: $DEEPMOMENTUM_TEST_PG_URL, else .ci/pg_url (written by .ci/services.sh)."""
    url = os.environ.get("DEEPMOMENTUM_TEST_PG_URL")
    if url:
        return url
    path = Path(__file__).resolve().parents[2] / ".ci" / "pg_url"
    return path.read_text().strip() if path.is_file() else None
