"""The tearsheet of a run folder: ``report.html`` (self-contained) and optional PNGs.

>>> from deepmomentum.report import build_report
>>> build_report("runs/demo")  # doctest: +SKIP
PosixPath('runs/demo/report.html')
"""

from deepmomentum.report._ablation import AblationData, build_ablation_report, is_ablation, load_ablation
from deepmomentum.report._build import REPORT_NAME, build_report, summary_table
from deepmomentum.report._html import SECTIONS
from deepmomentum.report._load import RunData, load_run

__all__ = [
    "REPORT_NAME",
    "SECTIONS",
    "AblationData",
    "RunData",
    "build_ablation_report",
    "build_report",
    "is_ablation",
    "load_ablation",
    "load_run",
    "summary_table",
]
