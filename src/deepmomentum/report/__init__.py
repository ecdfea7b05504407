"""The tearsheet of a run folder: ``report.html`` (self-contained) and optional PNGs.

>>> from deepmomentum.report import build_report
>>> build_report("runs/demo")  # doctest: +SKIP
PosixPath('runs/demo/report.html')
"""

from deepmomentum.report._build import REPORT_NAME, build_report, summary_table
from deepmomentum.report._html import SECTIONS
from deepmomentum.report._load import RunData, load_run

__all__ = ["REPORT_NAME", "SECTIONS", "RunData", "build_report", "load_run", "summary_table"]
