"""Data versioning and validation: content-addressed dataset versions, profiles, schemas.

* :class:`Datasets` (``client.datasets``): log, list, load, link, validate and diff versions.
* :func:`content_digest`: the digest of a table's content (see :mod:`loopml.data.digest`).
* :func:`profile`: per-column statistics as a frozen :class:`DatasetProfile`.
* :class:`Schema`, :class:`ColumnSchema`, :class:`Expectation` and :func:`validate`:
  declared or inferred rules and a JSON-ready :class:`ValidationReport`.
* :func:`diff_versions` / :func:`diff_profiles`: schema, content and profile changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml._utils import lazy

if TYPE_CHECKING:
    from loopml.data.api import Datasets as Datasets
    from loopml.data.diff import (
        ColumnChange as ColumnChange,
        DatasetDiff as DatasetDiff,
        StatChange as StatChange,
        diff_profiles as diff_profiles,
        diff_versions as diff_versions,
    )
    from loopml.data.digest import ContentDigest as ContentDigest, content_digest as content_digest
    from loopml.data.entities import (
        Dataset as Dataset,
        DatasetVersion as DatasetVersion,
        VersionLink as VersionLink,
    )
    from loopml.data.errors import (
        DatasetNotFound as DatasetNotFound,
        DataValidationError as DataValidationError,
    )
    from loopml.data.profiles import (
        ColumnProfile as ColumnProfile,
        DatasetProfile as DatasetProfile,
        Histogram as Histogram,
        ValueCount as ValueCount,
    )
    from loopml.data.profiling import profile as profile, profile_table as profile_table
    from loopml.data.reports import CheckResult as CheckResult, ValidationReport as ValidationReport
    from loopml.data.schema import (
        ColumnSchema as ColumnSchema,
        Expectation as Expectation,
        Schema as Schema,
    )
    from loopml.data.validation import split_valid as split_valid, validate as validate
else:
    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)
