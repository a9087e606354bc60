"""Report stage: paper-style tables, figures and the self-contained HTML report."""

from kaizen_eval.report.builder import IncompleteReportError, Report, verify_report
from kaizen_eval.report.figures import coef_plot
from kaizen_eval.report.tables import ResultsTable, results_table

__all__ = [
    "IncompleteReportError",
    "Report",
    "ResultsTable",
    "coef_plot",
    "results_table",
    "verify_report",
]
