"""Writing and presenting results: the results writer, plain text, figures, HTML and Excel.

    from optimizer import report
    report.write_report("results/tiny-20260101-120000", xlsx=True)  # report.html, figures/
    report.analysis_figures("sweep", frame)                          # Charts of an analysis

Figures and workbooks load matplotlib and openpyxl only when first used.
"""
from importlib import import_module

LAZY = {"write_report": "html", "render": "html", "plan_figures": "figures", "Chart": "charts",
        "analysis_figures": "analyses", "write_template": "excel", "export_dataset": "excel",
        "results_workbook": "excel", "read": "writer", "write": "writer"}


def __getattr__(name: str):
    if name in LAZY:
        return getattr(import_module(f".{LAZY[name]}", __name__), name)
    raise AttributeError(name)


__all__ = sorted(LAZY)
