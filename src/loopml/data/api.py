"""The data API of one store: log, list, load, link and diff dataset versions."""

from __future__ import annotations

import json
import os
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pyarrow.parquet as pq
from sqlalchemy import exc as sa_exc

from loopml._utils.clock import now_ms
from loopml.data import sources, validation, versions as vs
from loopml.data.diff import DatasetDiff, diff_versions
from loopml.data.digest import column_type, content_digest
from loopml.data.entities import NODE_TYPE, Dataset, DatasetVersion, VersionLink
from loopml.data.errors import DatasetNotFound
from loopml.data.profiling import profile_table
from loopml.data.schema import Schema
from loopml.errors import InvalidInput
from loopml.store.lineage import Edge, Node, record_edges

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    import pyarrow as pa

    from loopml.data.reports import ValidationReport
    from loopml.data.versions import VersionRef
    from loopml.store import Store

Relation = Literal["used", "produced"]
#: What ``derived_from`` accepts: a version, ``"name@ref"``, a lineage node or ``(type, id)``.
Upstream = DatasetVersion | Node | str | tuple[str, str]

PARQUET_MEDIA_TYPE = "application/vnd.apache.parquet"
_INSERT_ATTEMPTS = 5


class Datasets:
    """Dataset versions of one :class:`~loopml.store.Store`.

    Args:
        store: where versions are recorded (metadata) and snapshots kept (blobs).

    Example:
        >>> import pandas as pd
        >>> from loopml.store import Store
        >>> datasets = Datasets(Store.open("sqlite://", "memory://datasets-doc"))
        >>> frame = pd.DataFrame({"x": [1, 2]})
        >>> v = datasets.log_dataset(frame, "numbers")
        >>> (v.version, v.num_rows, datasets.log_dataset(frame.copy(), "numbers").version)
        (1, 2, 1)
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def __repr__(self) -> str:
        return f"Datasets({self.store!r})"

    # ------------------------------------------------------------------ logging
    def log_dataset(
        self,
        data: Any,
        name: str,
        *,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        derived_from: Sequence[Upstream] = (),
        run_id: str | None = None,
        relation: Relation = "used",
        schema: Schema | None = None,
        validate: bool = True,
    ) -> DatasetVersion:
        """Store ``data`` as a new immutable version of dataset ``name`` (or return the same one).

        Args:
            data: a pandas DataFrame, a pyarrow Table, or a parquet/CSV file or folder path.
            name: the dataset name (created on first use).
            description: what this version is (kept only when the version is new).
            metadata: JSON-ready facts about the version (kept only when it is new).
            derived_from: upstream data (versions, ``"name@3"``, lineage nodes such as
                ``Node("feature_view", "activity/2")``); recorded as ``derived_from`` edges.
            run_id: link this run to the version (``run --relation--> dataset_version``).
            relation: ``"used"`` (an input of the run) or ``"produced"`` (an output).
            schema: check new content against this schema (default: the schema attached
                to the dataset with :meth:`set_schema`, if any).
            validate: set ``False`` to skip the check.

        Returns:
            The version; logging identical content again returns the existing version.

        Raises:
            DataValidationError: new content failed the schema; nothing was stored.
        """
        vs.check_name(name)
        _check_relation(relation)
        meta = _check_metadata(metadata)
        table, source = sources.to_table(data)
        _check_table(table, name)
        digest = content_digest(table)
        upstream = self._upstream_nodes(derived_from)
        existing = self._existing(name, digest.digest)
        if existing is None:
            rules = (schema or self.get_schema(name)) if validate else None
            existing = self._new_version(
                table, name, digest, rules, source, description, meta, run_id
            )
        self._link(existing, upstream, run_id, relation)
        return existing

    def _new_version(
        self,
        table: pa.Table,
        name: str,
        digest: Any,
        rules: Schema | None,
        source: str,
        description: str | None,
        metadata: dict[str, Any],
        run_id: str | None,
    ) -> DatasetVersion:
        # The parquet snapshot is encoded in a second thread (Arrow releases the GIL)
        # while this one profiles and validates; it reaches the blob store only if
        # validation passes.
        with ThreadPoolExecutor(1, thread_name_prefix="loopml-parquet") as pool:
            snapshot = pool.submit(_write_parquet, table)
            try:
                profile = profile_table(table)
                if rules is not None:
                    report = validation.validate(table, rules, profile=profile, target=name)
                    report.raise_for_failures()
                    metadata = {**metadata, "validation": _validation_note(rules, report)}
                path = snapshot.result()
                ref = self.store.blobs.put_file(path, PARQUET_MEDIA_TYPE)
            finally:
                snapshot.add_done_callback(_discard)
        return self._create(
            table, name, digest, source, description, metadata, run_id, profile, ref
        )

    def _existing(self, name: str, digest: str) -> DatasetVersion | None:
        with self.store.db.read() as conn:
            dataset_id = vs.find_dataset_id(conn, name)
            number = (
                None if dataset_id is None else vs.find_version_by_digest(conn, dataset_id, digest)
            )
        return None if number is None else vs.get_version(self.store.db, name, number)

    def _create(
        self,
        table: pa.Table,
        name: str,
        digest: Any,
        source: str,
        description: str | None,
        metadata: dict[str, Any],
        run_id: str | None,
        profile: Any,
        ref: Any,
    ) -> DatasetVersion:
        values = {
            "digest": digest.digest,
            "blob_digest": ref.digest,
            "size_bytes": ref.size,
            "num_rows": table.num_rows,
            "num_columns": table.num_columns,
            "columns": [
                {"name": n, "type": column_type(c)}
                for n, c in zip(table.column_names, table.columns, strict=True)
            ],
            "column_digests": dict(digest.columns),
            "profile": profile.to_dict(),
            "source": source[:1024],
            "description": description,
            "metadata": metadata or None,
            "run_id": run_id,
            "created_at": now_ms(),
        }
        number = self._insert(name, values, ref)
        return vs.get_version(self.store.db, name, number)

    def _insert(self, name: str, values: dict[str, Any], ref: Any) -> int:
        # SQLite serialises writers; on PostgreSQL two writers may race for the same
        # version number (or digest): the loser retries and sees the winner's row.
        last: Exception | None = None
        for _ in range(_INSERT_ATTEMPTS):
            try:
                with self.store.db.write() as conn:
                    dataset_id = vs.ensure_dataset(self.store.db, conn, name, None)
                    found = vs.find_version_by_digest(conn, dataset_id, values["digest"])
                    if found is not None:
                        return found
                    self.store.record_blob(conn, ref)
                    return vs.insert_version(conn, dataset_id, values)
            except sa_exc.IntegrityError as err:
                last = err
        raise InvalidInput(f"could not record a version of {name!r}: {last}")

    # ------------------------------------------------------------------ lineage
    def link_run(self, run_id: str, version: DatasetVersion, relation: Relation = "used") -> None:
        """Record that run ``run_id`` used (or produced) ``version``."""
        _check_relation(relation)
        self._link(version, [], run_id, relation)

    def _link(
        self,
        version: DatasetVersion,
        upstream: Iterable[Node],
        run_id: str | None,
        relation: Relation,
    ) -> None:
        node = Node(NODE_TYPE, version.node_id)
        edges = [Edge(node, "derived_from", other) for other in upstream if other != node]
        if run_id is not None:
            edges.append(Edge(Node("run", run_id), relation, node))
        record_edges(self.store, edges)

    def _upstream_nodes(self, derived_from: Sequence[Upstream]) -> list[Node]:
        if isinstance(derived_from, str | Node | DatasetVersion):
            derived_from = [derived_from]
        nodes = []
        for item in derived_from:
            if isinstance(item, DatasetVersion):
                nodes.append(Node(NODE_TYPE, item.node_id))
            elif isinstance(item, Node):
                nodes.append(item)
            elif isinstance(item, str):
                nodes.append(Node(NODE_TYPE, self.get_version(item).node_id))
            elif isinstance(item, tuple) and len(item) == 2:
                nodes.append(Node(str(item[0]), str(item[1])))
            else:
                raise InvalidInput(
                    f"derived_from entries must be dataset versions, 'name@version' strings, "
                    f"lineage Nodes or (type, id) pairs; got {item!r}"
                )
        return nodes

    def version_links(self, version: DatasetVersion) -> list[VersionLink]:
        """Return every lineage edge into or out of ``version`` (runs, upstream, downstream)."""
        return vs.links(self.store.db, [version.node_id])

    def versions_of_run(self, run_id: str) -> list[tuple[str, DatasetVersion]]:
        """Return ``(relation, version)`` for the dataset versions a run used or produced."""
        return vs.versions_of_run(self.store.db, run_id)

    # ------------------------------------------------------------------ reading
    def get_dataset(self, name: str) -> Dataset:
        """Return dataset ``name`` with its version count."""
        return vs.get_dataset(self.store.db, name)

    def list_datasets(self) -> list[Dataset]:
        """Return every dataset, by name."""
        return vs.list_datasets(self.store.db)

    def list_versions(self, name: str) -> list[DatasetVersion]:
        """Return every version of dataset ``name``, oldest first."""
        return vs.list_versions(self.store.db, name)

    def get_version(self, name: str, version: VersionRef = None) -> DatasetVersion:
        """Return a version: ``name`` plus a number, ``"latest"`` or a digest prefix.

        ``name`` may carry the version itself: ``"customers@3"``.
        """
        return vs.get_version(self.store.db, name, version)

    def find_versions(self, digest_prefix: str) -> list[DatasetVersion]:
        """Return the versions (of any dataset) whose content digest starts with the prefix."""
        return vs.find_versions(self.store.db, digest_prefix)

    def dataset_path(self, name: str | DatasetVersion, version: VersionRef = None) -> Path:
        """Return a verified local parquet file of a version (for DuckDB, pyarrow...)."""
        found = name if isinstance(name, DatasetVersion) else self.get_version(name, version)
        return self.store.blobs.local_file(found.blob_digest)

    def load_dataset(
        self,
        name: str | DatasetVersion,
        version: VersionRef = None,
        *,
        columns: Sequence[str] | None = None,
        output: Literal["pandas", "arrow"] = "pandas",
    ) -> Any:
        """Load a version as a pandas DataFrame (or with ``output="arrow"`` a pyarrow Table).

        Args:
            name: dataset name (``"customers"`` or ``"customers@3"``) or a version.
            version: number, ``"latest"`` (default) or content digest prefix.
            columns: read only these columns.
            output: ``"pandas"`` or ``"arrow"``.
        """
        found = name if isinstance(name, DatasetVersion) else self.get_version(name, version)
        if columns is not None:
            missing = [c for c in columns if c not in found.columns]
            if missing:
                raise DatasetNotFound(
                    f"{found.ref} has no column(s) {missing}; its columns: {list(found.columns)}"
                )
        table = pq.read_table(self.dataset_path(found), columns=list(columns) if columns else None)
        if output == "arrow":
            return table
        if output != "pandas":
            raise InvalidInput(f"output must be 'pandas' or 'arrow', not {output!r}")
        return table.to_pandas()

    # ------------------------------------------------------------------ schemas, validation, diff
    def set_schema(self, name: str, schema: Schema | None) -> None:
        """Attach a schema to dataset ``name`` (created if new); every new version must pass it.

        ``None`` removes the schema.
        """
        vs.check_name(name)
        if schema is not None and not isinstance(schema, Schema):
            raise InvalidInput(f"expected a loopml Schema, got {type(schema).__name__}")
        vs.set_schema(self.store.db, name, None if schema is None else schema.to_dict())

    def get_schema(self, name: str) -> Schema | None:
        """Return the schema attached to dataset ``name``, or ``None``."""
        with self.store.db.read() as conn:
            if vs.find_dataset_id(conn, name) is None:
                return None
        stored = self.get_dataset(name).schema
        return None if stored is None else Schema.from_dict(dict(stored))

    def validate(
        self,
        name: str | DatasetVersion,
        version: VersionRef = None,
        *,
        schema: Schema | None = None,
        raise_on_failure: bool = False,
    ) -> ValidationReport:
        """Check a stored version against ``schema`` (default: the dataset's own schema)."""
        found = name if isinstance(name, DatasetVersion) else self.get_version(name, version)
        rules = schema if schema is not None else self.get_schema(found.name)
        if rules is None:
            raise InvalidInput(
                f"dataset {found.name!r} has no schema; pass schema= or attach one with "
                f"set_schema({found.name!r}, Schema.from_profile(version.profile))"
            )
        table = self.load_dataset(found, output="arrow")
        report = validation.validate(table, rules, profile=found.profile, target=found.ref)
        return report.raise_for_failures() if raise_on_failure else report

    def diff_versions(
        self, old: str | DatasetVersion, new: str | DatasetVersion | None = None
    ) -> DatasetDiff:
        """Compare two versions: ``old`` -> ``new`` (default: the latest of ``old``'s dataset).

        With ``old`` naming a dataset without a version (``"customers"``), compares its
        two newest versions.
        """
        if new is None:
            name = old.name if isinstance(old, DatasetVersion) else vs.split_ref(old)[0]
            newest = self.get_version(name)
            if isinstance(old, str) and "@" not in old:
                if newest.version < 2:
                    raise InvalidInput(f"dataset {name!r} has one version; nothing to diff")
                return diff_versions(self.get_version(name, newest.version - 1), newest)
            new = newest
        before = old if isinstance(old, DatasetVersion) else self.get_version(old)
        after = new if isinstance(new, DatasetVersion) else self.get_version(new)
        return diff_versions(before, after)


def _write_parquet(table: pa.Table) -> str:
    """Write ``table`` to a temporary zstd parquet file and return its path."""
    fd, tmp = tempfile.mkstemp(suffix=".parquet", prefix="loopml-dataset-")
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def _discard(done: Future[str]) -> None:
    """Delete the temporary parquet file of a finished write (if it was written)."""
    if not done.cancelled() and done.exception() is None:
        Path(done.result()).unlink(missing_ok=True)


def _validation_note(schema: Schema, report: ValidationReport) -> dict[str, Any]:
    return {"schema_digest": schema.digest, "passed": report.passed, "checks": len(report.checks)}


def _check_relation(relation: str) -> None:
    if relation not in ("used", "produced"):
        raise InvalidInput(f"relation must be 'used' or 'produced', not {relation!r}")


def _check_metadata(metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    if metadata is None:
        return {}
    try:
        return dict(json.loads(json.dumps(dict(metadata), allow_nan=False)))
    except (TypeError, ValueError) as err:
        raise InvalidInput(
            f"dataset metadata must be JSON-ready (str, numbers, bools, lists, dicts): {err}"
        ) from err


def _check_table(table: pa.Table, name: str) -> None:
    if table.num_columns == 0:
        raise InvalidInput(f"cannot log dataset {name!r} with no columns")
    blank = [c for c in table.column_names if not str(c).strip()]
    if blank:
        raise InvalidInput(f"dataset {name!r} has a column with an empty name; name it")
