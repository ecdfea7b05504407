"""Scaling of the walk-forward: measured local speed-up, and dmn-paper wall-time estimates.

1. Speed-up: ``--tasks`` equal training tasks (DMN LSTM on the ETF panel, a fixed
   number of epochs, no early stop) run through :class:`LocalExecutor` with 1
   and with 2 workers. Each pool is warmed up first (workers started, torch
   imported), so start-up is excluded. Prints both wall times and the ratio.
2. dmn-paper estimate: times one real dmn-paper-sized task per network type
   (lstm, linear, mlp, wavenet) on the middle walk-forward window of the ETF
   data, for ``--epochs`` epochs, gives seconds per epoch, and scales to the
   preset's epoch budget (``--assume-epochs`` epochs per task on average: early
   stopping with patience 25 of at most 100). Then prints the expected wall time
   of ``deepmomentum run --preset dmn-paper`` on 1, 8 and 64 workers, counting
   that each window's trials run in batches of ``workers`` (a batch waits for
   its slowest task) and the windows and models one after the other.

    .venv/bin/python benchmarks/bench_scaling.py [--data-dir ../shared/data/etf] [--tasks 8]

Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
import warnings
from typing import Any

from deepmomentum.config import ModelVariant
from deepmomentum.data import load_data_dir
from deepmomentum.features import build_features
from deepmomentum.presets import load_preset
from deepmomentum.training import (
    LocalExecutor,
    LossSpec,
    PanelArrays,
    TrainParams,
    TrainTask,
    Window,
    build_panel,
    make_windows,
    run_task,
)

MID = {"dropout": 0.3, "hidden_size": 40, "batch_size": 128, "lr": 1e-3, "max_grad_norm": 1.0}


def _noop(x: int) -> int:
    import torch  # noqa: F401  (warm-up: the workers import torch once)

    return x


def _task(variant: ModelVariant, window: Window, run_dir: str, epochs: int, params: dict[str, Any], k: int):
    keys = ("batch_size", "lr", "max_grad_norm") if variant.model == "linear" else tuple(params)
    p = {key: params[key] for key in keys}
    return TrainTask(
        variant=variant.name,
        model=variant.model,
        loss=LossSpec(variant.loss, variant.cost_bps),
        window=window,
        trial=k,
        seed=k,
        params=TrainParams(max_epochs=epochs, patience=10_000, **p),
        seq_len=63,
        device="cpu",
        precision="fp32",
        run_dir=run_dir,
    )


def speedup(panel: PanelArrays, window: Window, n_tasks: int, epochs: int) -> tuple[float, float]:
    lstm = ModelVariant(name="lstm", model="lstm", loss="sharpe")
    params = {**MID, "hidden_size": 20}
    times = []
    for jobs in (1, 2):
        ex = LocalExecutor(jobs)
        list(ex.map(_noop, list(range(4 * jobs))))  # warm the pool
        with tempfile.TemporaryDirectory() as tmp:
            tasks = [_task(lstm, window, tmp, epochs, params, k) for k in range(n_tasks)]
            t0 = time.perf_counter()
            for _ in ex.map(run_task, tasks, panel):
                pass
            times.append(time.perf_counter() - t0)
        print(f"  {jobs} worker(s): {n_tasks} tasks in {times[-1]:.1f} s")
    return times[0], times[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default="../shared/data/etf")
    ap.add_argument("--tasks", type=int, default=8, help="equal tasks for the speed-up")
    ap.add_argument("--speedup-epochs", type=int, default=20)
    ap.add_argument("--epochs", type=int, default=2, help="epochs timed per dmn-paper task")
    ap.add_argument("--assume-epochs", type=float, default=50.0, help="mean epochs of a dmn-paper task")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)  # as in a worker
    warnings.simplefilter("ignore")
    cfg = load_preset("dmn-paper")
    data = load_data_dir(args.data_dir)
    f = cfg.features
    fs = build_features(
        data.tradable_prices,
        f.horizons,
        [(int(a), int(b)) for a, b in f.macd_pairs],
        f.vol_span,
        f.winsorise,
        f.winsorise_halflife,
        f.winsorise_n_std,
    )
    panels = {
        lags: build_panel(fs, cfg.backtest.vol_target, cfg.backtest.max_weight, lags)
        for lags in {m.n_lags for m in cfg.models}
    }
    t = cfg.training
    base = panels[0] if 0 in panels else next(iter(panels.values()))
    windows = make_windows(base.dates, t.first_test_year, t.retrain_years, t.val_fraction, t.last_test_year)
    print(f"ETF panel: {base.x.shape[0]} days x {base.x.shape[1]} assets; {len(windows)} windows")
    print(f"cores: {os.cpu_count()}")

    print(f"\n1. speed-up, {args.tasks} equal LSTM tasks ({args.speedup_epochs} epochs, first window):")
    t1, t2 = speedup(base, windows[0], args.tasks, args.speedup_epochs)
    print(f"  speed-up 2 workers vs 1: {t1 / t2:.2f}x (ideal 2.00x)")

    mid = windows[len(windows) // 2]
    print(
        f"\n2. dmn-paper task time (window {mid.index}, test {mid.test_start}, {args.epochs} epochs timed):"
    )
    per_epoch: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for model in ("lstm", "linear", "mlp", "wavenet"):
            variant = next(m for m in cfg.models if m.model == model)
            res = run_task(_task(variant, mid, tmp, args.epochs, MID, 0), panels[variant.n_lags])
            per_epoch[model] = res["elapsed_s"] / res["epochs_run"]
            print(f"  {model:8s} {per_epoch[model]:.2f} s/epoch")
    task_s = {m.name: per_epoch[m.model] * args.assume_epochs for m in cfg.models}
    n_tasks = len(cfg.models) * len(windows) * t.n_trials * t.seeds_per_trial
    print(
        f"  {len(cfg.models)} models x {len(windows)} windows x {t.n_trials} trials x "
        f"{t.seeds_per_trial} seeds = {n_tasks} tasks; assuming {args.assume_epochs:g} epochs each"
    )
    print("\n  expected dmn-paper wall time (hours):")
    for workers in (1, 8, 64):
        # trials go in batches of `workers`; a batch lasts about one task (seeds run in turn)
        waves = math.ceil(t.n_trials / workers) * t.seeds_per_trial
        wall = sum(task_s.values()) * len(windows) * waves
        cpu = sum(task_s.values()) * len(windows) * t.n_trials * t.seeds_per_trial
        print(f"  {workers:3d} workers: {wall / 3600:8.2f} h  (efficiency {cpu / wall / workers:.0%})")
    print(
        "\ncommand: .venv/bin/python benchmarks/bench_scaling.py "
        + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items())
    )


if __name__ == "__main__":
    main()
