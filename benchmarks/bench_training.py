"""Training throughput, overhead against a bare PyTorch loop, and preset wall times.

1. Trains the DMN LSTM with :func:`deepmomentum.training.train_network` on the
   48 tradable ETFs (sequences of 63 days) and reports asset-days per second.
2. Runs a bare ``nn.LSTM`` + Sharpe-loss loop of the same shape (same batches,
   epochs, optimiser and clipping) in the same process; prints the ratio.
3. Runs ``deepmomentum run --preset dmn-quick`` (and ``dmn-medium`` with
   ``--medium``) on the ETF data in a subprocess; prints wall time and peak RSS.

    .venv/bin/python benchmarks/bench_training.py [--medium] [--data-dir ../shared/data/etf]

Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import torch

from deepmomentum.data import load_data_dir
from deepmomentum.features import build_features
from deepmomentum.training import LossSpec, TrainParams, build_panel, train_network, training_sequences

HIDDEN, BATCH, EPOCHS = 20, 128, 5


def bare_loop(x: torch.Tensor, scale: torch.Tensor, r_next: torch.Tensor, mask: torch.Tensor) -> float:
    """The same training work with nothing but torch: returns seconds."""
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(x.shape[-1], HIDDEN, batch_first=True)
    head = torch.nn.Linear(HIDDEN, 1)
    params = list(lstm.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    t0 = time.perf_counter()
    for _ in range(EPOCHS):
        for idx in torch.randperm(len(x), generator=gen).split(BATCH):
            h, _ = lstm(x[idx])
            pos = torch.tanh(head(h).squeeze(-1))
            m = mask[idx]
            ret = torch.where(m, pos * scale[idx] * r_next[idx], torch.zeros_like(pos))
            n = m.sum()
            mean = ret.sum() / n
            loss = -mean / torch.sqrt((ret**2).sum() / n - mean**2 + 1e-12) * 252**0.5
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
    return time.perf_counter() - t0


def run_preset(preset: str, data_dir: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            str(Path(sys.executable).parent / "deepmomentum"),
            "run",
            "--preset",
            preset,
            "--data-dir",
            str(data_dir),
            "--out",
            str(Path(tmp) / preset),
            "--no-report",
            "--quiet",
        ]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True)
        wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"preset {preset}: wall {wall:.1f} s, peak RSS {peak:.0f} MiB (largest process)")
    print(f"  command: {' '.join(cmd[1:]).replace(tmp, 'TMP')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/etf"
    )
    parser.add_argument("--medium", action="store_true", help="also time the dmn-medium preset (minutes)")
    args = parser.parse_args()
    print("command: " + " ".join([Path(sys.executable).name, *sys.argv]))
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = load_data_dir(args.data_dir)
    panel = build_panel(build_features(data.tradable_prices))
    split = panel.day_index("2014-01-01")
    train = training_sequences(panel, 0, split, 63)
    val = training_sequences(panel, split, panel.day_index("2016-01-01"), 63)
    samples = int(train.mask.sum())
    print(f"training set: {len(train)} sequences x 63 days, {samples:,} asset-days per epoch")

    params = TrainParams(
        hidden_size=HIDDEN,
        dropout=0.0,
        batch_size=BATCH,
        lr=1e-3,
        max_epochs=EPOCHS,
        patience=EPOCHS,
        max_grad_norm=1.0,
    )
    tensors = [torch.from_numpy(a) for a in (train.x, train.scale, train.r_next, train.mask)]
    # interleave repeats and keep the best of each: robust to other load on the machine
    ours_runs, bare_runs = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        train_network("lstm", params, LossSpec("sharpe"), train, val, seed=0, device="cpu")
        ours_runs.append(time.perf_counter() - t0)
        bare_runs.append(bare_loop(*tensors))
    ours, bare = min(ours_runs), min(bare_runs)
    print(
        f"deepmomentum trainer: {samples * EPOCHS / ours:,.0f} asset-days/s ({ours:.2f} s, {EPOCHS} epochs, "
        "incl. validation each epoch; best of 3)"
    )
    print(f"bare nn.LSTM loop:    {samples * EPOCHS / bare:,.0f} asset-days/s ({bare:.2f} s; best of 3)")
    print(f"ratio (ours / bare throughput): {bare / ours:.2f}")
    run_preset("dmn-quick", args.data_dir)
    if args.medium:
        run_preset("dmn-medium", args.data_dir)


if __name__ == "__main__":
    main()
