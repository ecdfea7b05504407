"""``report`` command: write the self-contained tearsheet of a run folder."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from deepmomentum.cli._common import console, handle_errors, state

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Register ``report`` on ``app``."""

    @app.command(
        epilog=(
            "Examples:\n\n"
            "  deepmomentum report runs/demo-20260101-120000\n\n"
            "  deepmomentum report runs/etf --png    (adds figures/*.png)\n\n"
            "  deepmomentum report runs/etf --cost-bps 10   (headline and charts at 10 bp)\n\n"
            "  deepmomentum report runs/etf --json   (summary table on stdout)"
        )
    )
    @handle_errors
    def report(
        run_dir: Path = typer.Argument(
            ..., help="Run folder written by backtest, demo, run or ablate (docs/run-folder.md)."
        ),
        png: bool = typer.Option(
            False, "--png", help="Also write the main figures as PNG into RUN_DIR/figures/ (matplotlib)."
        ),
        cost_bps: float = typer.Option(
            2.0,
            "--cost-bps",
            help="Cost level (bp) of the headline and of every chart's first view; "
            "the nearest level of the run when it has none at this one.",
        ),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only errors."),
        as_json: bool = typer.Option(False, "--json", help="Print the summary table as JSON on stdout."),
    ) -> None:
        """Write RUN_DIR/report.html: a self-contained tearsheet that opens offline."""
        from deepmomentum.cli._tables import metrics_json
        from deepmomentum.report import build_report, is_ablation, load_run, summary_table
        from deepmomentum.run import FIGURES_DIR

        state.quiet = quiet or as_json
        t0 = time.perf_counter()
        if is_ablation(run_dir):
            _ablation_report(run_dir, png, cost_bps, as_json, t0)
            return
        run = load_run(run_dir)
        path = build_report(run, png=png, cost_bps=cost_bps)
        elapsed = time.perf_counter() - t0
        if as_json:
            bench = [] if run.benchmarks is None else [str(c) for c in run.benchmarks.columns]
            console.print_json(
                metrics_json(
                    summary_table(run),
                    run_dir=str(run_dir),
                    report=str(path),
                    synthetic=run.synthetic,
                    reference=run.reference_name,
                    variants=run.variants,
                    benchmarks=bench,
                )
            )
            return
        if state.quiet:
            return
        size = path.stat().st_size / 2**20
        label = " (SYNTHETIC data)" if run.synthetic else ""
        console.print(f"wrote {path} ({size:.1f} MiB, {elapsed:.1f} s){label}", highlight=False)
        if png:
            console.print(f"figures: {path.parent / FIGURES_DIR}", highlight=False)


def _ablation_report(run_dir: Path, png: bool, cost_bps: float, as_json: bool, t0: float) -> None:
    """``report`` of an ablation folder: its summary table and chart (no PNGs)."""
    from deepmomentum.cli._common import emit_json
    from deepmomentum.report import build_report, load_ablation
    from deepmomentum.report._ablation import ablation_table

    run = load_ablation(run_dir)
    path = build_report(run_dir, png=png, cost_bps=cost_bps)
    if as_json:
        table = ablation_table(run, cost_bps)
        emit_json(
            {
                "run_dir": str(run_dir),
                "report": str(path),
                "kind": "ablation",
                "synthetic": run.synthetic,
                "summary": table.to_dict(orient="records"),
            }
        )
        return
    if not state.quiet:
        size = path.stat().st_size / 2**20
        label = " (SYNTHETIC data)" if run.synthetic else ""
        elapsed = time.perf_counter() - t0
        console.print(f"wrote {path} ({size:.1f} MiB, {elapsed:.1f} s){label}", highlight=False)
