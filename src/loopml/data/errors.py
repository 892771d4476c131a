"""Errors of the data component (all derive from :mod:`loopml.errors` classes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from loopml.data.reports import ValidationReport


class DatasetNotFound(NotFound):
    """No dataset, or no version of a dataset, matches the name or reference."""


class DataValidationError(InvalidInput):
    """Data failed validation; ``report`` holds every failed check."""

    def __init__(self, message: str, report: ValidationReport) -> None:
        super().__init__(message)
        self.report = report

    def to_dict(self) -> dict[str, object]:
        """Return the error with the full validation report."""
        return {**super().to_dict(), "report": self.report.to_dict()}
