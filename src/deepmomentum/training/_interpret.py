"""Interpretability of the Momentum Transformer (TFT): what it looked at in each test window.

After a window is trained, its ensemble members are run once more over the
test window with their weights recorded (``TFTNet.last_weights_``):

- ``variable_weights.csv``: per test day, the variable-selection weight of each
  input, averaged over the assets with a position that day and over the
  members (rows sum to one);
- ``attention.csv``: the attention weight by lag (0: the day itself), averaged
  over the test queries, the heads and the members (the column sums to one).

Both go to ``models/<variant>/window-XX/``; a resumed run keeps them unless the
window's test span gained days.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from deepmomentum._io import atomic_write_text
from deepmomentum.training._dataset import PanelArrays, SequenceBatch, inference_sequences
from deepmomentum.training._trainer import TrainParams, forward_rows, load_network

__all__ = ["ATTENTION_FILE", "VARIABLE_FILE", "member_weights", "write_interpretation"]

# the names declared in deepmomentum.run._layout_interpret (training never imports run)
VARIABLE_FILE = "variable_weights.csv"
ATTENTION_FILE = "attention.csv"


def _accumulate_attention(attn: np.ndarray, mask: np.ndarray, lag_sum: np.ndarray) -> None:
    """Add each masked query's weights (mean over heads) to ``lag_sum`` by lag."""
    a = attn.mean(axis=1)  # (n, T, T): query t, key s
    for t in range(a.shape[1]):
        rows = a[mask[:, t], t, : t + 1]
        if len(rows):
            lag_sum[: t + 1] += rows.sum(axis=0)[::-1]


def member_weights(
    model_name: str,
    params: dict[str, Any],
    state_dict: dict[str, torch.Tensor],
    batch: SequenceBatch,
    day_lo: int,
    n_days: int,
    chunk: int = 1024,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """One member's recorded weights over ``batch`` (CPU).

    Returns
    -------
    var_sum : np.ndarray of shape (n_days, n_inputs)
        Per test day (from ``day_lo``), the sum over assets of the variable weights.
    var_count : np.ndarray of shape (n_days,)
        Asset-positions summed per day.
    lag_sum : np.ndarray of shape (seq_len_total,)
        Sum over test queries of the head-averaged attention weight at each lag.
    n_queries : int
        Test queries summed in ``lag_sum``.
    """
    n_in = batch.x.shape[-1]
    # result.json's params are TrainParams.to_dict(); keys added later take their defaults
    net = load_network(model_name, n_in, TrainParams(**params), state_dict)
    var_sum = np.zeros((n_days, n_in))
    var_count = np.zeros(n_days)
    lag_sum = np.zeros(batch.x.shape[1])
    with torch.no_grad():
        for i in range(0, len(batch), chunk):
            forward_rows(net, batch, i, i + chunk, torch.device("cpu"))
            rec: dict[str, torch.Tensor] = getattr(net, "last_weights_")  # noqa: B009
            mask = batch.mask[i : i + chunk]
            var = rec["variables"].float().numpy()
            days = batch.day[i : i + chunk][mask] - day_lo
            np.add.at(var_sum, days, var[mask])
            np.add.at(var_count, days, 1.0)
            _accumulate_attention(rec["attention"].float().numpy(), mask, lag_sum)
    return var_sum, var_count, lag_sum, int(batch.mask.sum())


def _window_frames(
    model_name: str,
    folders: Sequence[Path],
    panel: PanelArrays,
    lo: int,
    hi: int,
    seq_len: int,
    names: Sequence[str],
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The two tables of one window from its members' folders; None without a readable member."""
    test = inference_sequences(panel, lo, hi, seq_len)
    if len(test) == 0:
        return None
    var_sum = np.zeros((hi - lo, panel.x.shape[-1]))
    var_count = np.zeros(hi - lo)
    lag_sum = np.zeros(test.x.shape[1])
    n_members = 0
    for folder in folders:
        if not (folder / "model.pt").is_file() or not (folder / "result.json").is_file():
            continue
        params = json.loads((folder / "result.json").read_text())["params"]
        state = torch.load(folder / "model.pt", map_location="cpu", weights_only=True)
        vs, vc, ls, nq = member_weights(model_name, params, state, test, lo, hi - lo)
        # members weigh equally: each member's per-day mean, then the mean over members
        var_sum += np.divide(vs, vc[:, None], out=np.zeros_like(vs), where=vc[:, None] > 0)
        var_count += vc > 0
        lag_sum += ls / max(nq, 1)
        n_members += 1
    if n_members == 0:
        return None
    seen = var_count > 0
    dates = pd.DatetimeIndex(panel.dates[lo:hi])[seen]
    variables = pd.DataFrame(var_sum[seen] / var_count[seen, None], index=dates, columns=list(names))
    variables.index.name = "date"
    attention = pd.DataFrame({"lag": np.arange(len(lag_sum)), "weight": lag_sum / n_members})
    return variables, attention


def _up_to_date(wdir: Path, test_end: str) -> bool:
    """Both files exist and the weights reach the window's last test day."""
    path = wdir / VARIABLE_FILE
    if not path.is_file() or not (wdir / ATTENTION_FILE).is_file():
        return False
    last = pd.read_csv(path, usecols=["date"])["date"]
    return len(last) > 0 and str(last.iloc[-1]) >= test_end


def write_interpretation(
    model_name: str,
    panel: PanelArrays,
    seq_len: int,
    run_dir: Path | str,
    variant: str,
    windows: pd.DataFrame,
    members: pd.DataFrame,
    names: Sequence[str],
) -> int:
    """Write ``variable_weights.csv`` and ``attention.csv`` of every window of a TFT variant.

    Parameters
    ----------
    model_name : str
        The variant's network; only networks that record ``last_weights_`` (``tft``) are read.
    panel : PanelArrays
        The inputs the variant was trained on.
    seq_len : int
        Test block length (``training.seq_len``).
    run_dir : path
        The run folder.
    variant : str
        The variant's name.
    windows, members : pd.DataFrame
        The walk-forward's window rows (``window``, ``test_start``, ``test_end``)
        and ensemble members (``window``, ``folder``).
    names : sequence of str
        Input names, in panel order.

    Returns
    -------
    int
        Windows written (0 when the network records no weights or all were up to date).
    """
    if model_name != "tft" or windows.empty or members.empty:
        return 0
    dates = pd.DatetimeIndex(panel.dates)
    written = 0
    for _, row in windows.iterrows():
        wdir = Path(run_dir) / "models" / variant / f"window-{int(row['window']):02d}"
        if _up_to_date(wdir, str(row["test_end"])):
            continue
        lo = int(dates.searchsorted(pd.Timestamp(row["test_start"])))
        hi = int(dates.searchsorted(pd.Timestamp(row["test_end"]), side="right"))
        mine = members[members["window"] == row["window"]]
        frames = _window_frames(
            model_name, [wdir / str(f) for f in mine["folder"]], panel, lo, hi, seq_len, names
        )
        if frames is None:
            continue
        variables, attention = frames
        atomic_write_text(wdir / VARIABLE_FILE, variables.to_csv(date_format="%Y-%m-%d", float_format="%.6g"))
        atomic_write_text(wdir / ATTENTION_FILE, attention.to_csv(index=False, float_format="%.6g"))
        written += 1
    return written
