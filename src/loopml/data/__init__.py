"""Data versioning and validation: content-addressed dataset versions, profiles, schemas.

* :class:`Datasets` (``client.datasets``): log, list, load, link, validate and diff versions.
* :func:`content_digest`: the digest of a table's content (see :mod:`loopml.data.digest`).
* :func:`profile`: per-column statistics as a frozen :class:`DatasetProfile`.
* :class:`Schema`, :class:`ColumnSchema`, :class:`Expectation` and :func:`validate`:
  declared or inferred rules and a JSON-ready :class:`ValidationReport`.
* :func:`diff_versions` / :func:`diff_profiles`: schema, content and profile changes.
"""

from __future__ import annotations

from loopml.data.api import Datasets
from loopml.data.diff import ColumnChange, DatasetDiff, StatChange, diff_profiles, diff_versions
from loopml.data.digest import ContentDigest, content_digest
from loopml.data.entities import Dataset, DatasetVersion, VersionLink
from loopml.data.errors import DatasetNotFound, DataValidationError
from loopml.data.profiles import ColumnProfile, DatasetProfile, Histogram, ValueCount
from loopml.data.profiling import profile, profile_table
from loopml.data.reports import CheckResult, ValidationReport
from loopml.data.schema import ColumnSchema, Expectation, Schema
from loopml.data.validation import split_valid, validate

__all__ = [
    "CheckResult",
    "ColumnChange",
    "ColumnProfile",
    "ColumnSchema",
    "ContentDigest",
    "DataValidationError",
    "Dataset",
    "DatasetDiff",
    "DatasetNotFound",
    "DatasetProfile",
    "DatasetVersion",
    "Datasets",
    "Expectation",
    "Histogram",
    "Schema",
    "StatChange",
    "ValidationReport",
    "ValueCount",
    "VersionLink",
    "content_digest",
    "diff_profiles",
    "diff_versions",
    "profile",
    "profile_table",
    "split_valid",
    "validate",
]
