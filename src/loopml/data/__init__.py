"""Data versioning and validation: content-addressed dataset versions, profiles, schemas.

* :class:`Datasets` (``client.datasets``): log, list, load, link and diff versions.
* :func:`content_digest`: the digest of a table's content (see :mod:`loopml.data.digest`).
* :func:`profile`: per-column statistics as a frozen :class:`DatasetProfile`.
"""

from __future__ import annotations

from loopml.data.api import Datasets
from loopml.data.digest import ContentDigest, content_digest
from loopml.data.entities import Dataset, DatasetVersion, VersionLink
from loopml.data.errors import DatasetNotFound, DataValidationError
from loopml.data.profiles import ColumnProfile, DatasetProfile, Histogram, ValueCount
from loopml.data.profiling import profile, profile_table

__all__ = [
    "ColumnProfile",
    "ContentDigest",
    "DataValidationError",
    "Dataset",
    "DatasetNotFound",
    "DatasetProfile",
    "DatasetVersion",
    "Datasets",
    "Histogram",
    "ValueCount",
    "VersionLink",
    "content_digest",
    "profile",
    "profile_table",
]
