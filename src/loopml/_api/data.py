"""``lm.log_dataset``, ``lm.load_dataset``, ``lm.validate``...: dataset versions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from loopml._api.default import get_client
from loopml._api.forwarding import forward
from loopml.data import Datasets, DatasetVersion, profile, validate as validate_data
from loopml.errors import InvalidInput, NoActiveRun
from loopml.tracking import active_run

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from loopml.data import DatasetProfile, Schema, ValidationReport
    from loopml.data.api import Relation, Upstream
    from loopml.data.versions import VersionRef
    from loopml.tracking import Run


def _datasets() -> Datasets:
    """Return the default client's dataset API."""
    return get_client().datasets


get_dataset_version = forward(Datasets.get_version, _datasets, name="get_dataset_version")
list_datasets = forward(Datasets.list_datasets, _datasets)
list_dataset_versions = forward(Datasets.list_versions, _datasets, name="list_dataset_versions")
set_dataset_schema = forward(Datasets.set_schema, _datasets, name="set_dataset_schema")
diff_datasets = forward(Datasets.diff_versions, _datasets, name="diff_datasets")


def _run_id(run: Run | str | None) -> str | None:
    if run is None:
        active = active_run()
        return None if active is None else active.id
    return run if isinstance(run, str) else run.id


def log_dataset(
    data: Any,
    name: str,
    *,
    description: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    derived_from: Sequence[Upstream] = (),
    relation: Relation = "used",
    run: Run | str | None = None,
    schema: Schema | None = None,
    validate: bool = True,
) -> DatasetVersion:
    """Store ``data`` as an immutable, content-addressed version of dataset ``name``.

    Inside a run (or with ``run=``) the run is linked to the version:
    ``run --used--> dataset_version`` (``relation="produced"`` for outputs).
    Logging identical content again returns the existing version.

    Args:
        data: a pandas DataFrame, a pyarrow Table, or a parquet/CSV file or folder path.
        name: the dataset name.
        description: what this version is.
        metadata: JSON-ready facts about the version.
        derived_from: upstream dataset versions (``"raw@2"``, versions) or lineage nodes
            (``Node("feature_view", "activity/2")``) this data was computed from.
        relation: ``"used"`` or ``"produced"``: how the run relates to the version.
        run: the run to link (default: the active run, if any).
        schema: check new content first (default: the dataset's attached schema, if any);
            a failure raises :class:`~loopml.data.DataValidationError` and stores nothing.
        validate: set ``False`` to skip the schema check.

    Example:
        >>> v = lm.log_dataset(frame, "customers")  # doctest: +SKIP
        >>> lm.load_dataset("customers", version=v.version)  # doctest: +SKIP
    """
    return _datasets().log_dataset(
        data,
        name,
        description=description,
        metadata=metadata,
        derived_from=derived_from,
        run_id=_run_id(run),
        relation=relation,
        schema=schema,
        validate=validate,
    )


def load_dataset(
    name: str | DatasetVersion,
    version: VersionRef = None,
    *,
    columns: Sequence[str] | None = None,
    output: Literal["pandas", "arrow"] = "pandas",
    run: Run | str | None = None,
) -> Any:
    """Load a dataset version as a DataFrame (``output="arrow"``: a pyarrow Table).

    ``version`` is a number, ``"latest"`` (default) or a content digest prefix; ``name``
    may carry it (``"customers@3"``). Inside a run (or with ``run=``) the run is recorded
    as having used the version.
    """
    api = _datasets()
    found = name if not isinstance(name, str) else api.get_version(name, version)
    run_id = _run_id(run)
    if run_id is not None:
        api.link_run(run_id, found, "used")
    return api.load_dataset(found, columns=columns, output=output)


def use_dataset(
    name: str,
    version: VersionRef = None,
    *,
    relation: Relation = "used",
    run: Run | str | None = None,
) -> DatasetVersion:
    """Record that the active run (or ``run``) used (or produced) a dataset version; return it."""
    api = _datasets()
    found = api.get_version(name, version)
    run_id = _run_id(run)
    if run_id is None:
        raise NoActiveRun(
            "use_dataset needs a run; call it inside `with lm.start_run(...):` or pass run="
        )
    api.link_run(run_id, found, relation)
    return found


def profile_data(data: Any, *, top_k: int = 10, bins: int = 20) -> DatasetProfile:
    """Profile a DataFrame, Arrow table, or parquet/CSV file or folder (no store needed)."""
    return profile(data, top_k=top_k, bins=bins)


def validate(
    data: Any,
    schema: Schema | None = None,
    *,
    raise_on_failure: bool = False,
) -> ValidationReport:
    """Check data against a schema and return a JSON-ready report (a pipeline gate).

    Args:
        data: a DataFrame, Arrow table, dict of columns, parquet/CSV path, a
            :class:`~loopml.data.DatasetVersion`, or a ``"name@version"`` reference.
        schema: the rules; for dataset versions the dataset's attached schema by default.
        raise_on_failure: raise :class:`~loopml.data.DataValidationError` (carrying the
            report) when any check fails.

    Example:
        >>> report = lm.validate(frame, lm.Schema.from_profile(reference.profile))  # doctest: +SKIP
        >>> report.passed, report.failed_columns  # doctest: +SKIP
    """
    if isinstance(data, DatasetVersion) or _is_dataset_ref(data):
        return _datasets().validate(data, schema=schema, raise_on_failure=raise_on_failure)
    if schema is None:
        raise InvalidInput("validate needs schema= for data that is not a dataset version")
    return validate_data(data, schema, raise_on_failure=raise_on_failure)


def _is_dataset_ref(data: Any) -> bool:
    return isinstance(data, str) and "@" in data and not Path(data).exists()
