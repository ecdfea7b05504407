"""The pipeline: signal -> portfolio -> rebalancing -> engine, composed per preset.

See ``docs/architecture.md``: each stage is a small interface
(:class:`SignalStage`, :class:`PortfolioStage`, :class:`RebalanceStage`) with
implementations in :mod:`deepmomentum.signals`, :mod:`deepmomentum.portfolio`
and :mod:`deepmomentum.rebalancing`; :func:`compose` builds a system from its
configuration and :func:`run_pipeline` runs it into a run folder.
"""

from deepmomentum.pipeline._stages import Context, PortfolioStage, RebalanceStage, SignalStage, Targets

__all__ = [
    "Composition",
    "Context",
    "NextTargets",
    "PortfolioStage",
    "RebalanceStage",
    "SignalStage",
    "Targets",
    "compose",
    "next_targets",
    "run_pipeline",
]


def __getattr__(name: str) -> object:
    # lazy: the runner imports the stage packages, which import this package's interfaces
    if name in ("Composition", "compose"):
        from deepmomentum.pipeline import _compose

        return getattr(_compose, name)
    if name in ("NextTargets", "next_targets"):
        from deepmomentum.pipeline import _signal

        return getattr(_signal, name)
    if name == "run_pipeline":
        from deepmomentum.pipeline._run import run_pipeline

        return run_pipeline
    raise AttributeError(name)
