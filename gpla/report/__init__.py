"""The run report: ``report.md`` and a self-contained ``report.html`` (PNGs embedded) from the
artifacts of a run directory. It reads only what the stages wrote, so it can be rebuilt any time."""

from gpla.report.build import write_report

__all__ = ["write_report"]
