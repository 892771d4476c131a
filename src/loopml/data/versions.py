"""Dataset and version rows: find, number, insert and read (SQLAlchemy Core, no logic of I/O).

Version references accepted everywhere (Python and CLI):

* ``None`` or ``"latest"``: the newest version;
* an ``int`` or a string of at most 6 digits: that version number;
* a hex string of 7 to 64 characters: the version whose content digest starts with it.

``"customers@3"``, ``"customers@latest"`` and ``"customers@3f2a9c1"`` name a dataset and a
version in one string.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select, update

from loopml._utils.clock import now_ms
from loopml.data.entities import NODE_TYPE, Dataset, DatasetVersion, VersionLink
from loopml.data.errors import DatasetNotFound
from loopml.data.profiles import DatasetProfile
from loopml.errors import InvalidInput
from loopml.store.tables import core, data as d

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import Connection, Row

    from loopml.store.db import Database

VersionRef = int | str | None

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,255}$")
_VERSION = re.compile(r"^\d{1,6}$")
_DIGEST = re.compile(r"^[0-9a-f]{7,64}$")


def check_name(name: str) -> str:
    """Return ``name`` if it is a valid dataset name, else raise :class:`InvalidInput`."""
    if not isinstance(name, str) or not _NAME.match(name) or "@" in name:
        raise InvalidInput(
            f"invalid dataset name {name!r}: use letters, digits, '_', '-', '.' or '/', "
            "starting with a letter or digit, at most 256 characters"
        )
    return name


def split_ref(name: str, version: VersionRef = None) -> tuple[str, VersionRef]:
    """Split ``"name@version"`` into its parts (an explicit ``version`` must not clash)."""
    if "@" not in name:
        return name, version
    base, _, embedded = name.partition("@")
    if version is not None and str(version) != embedded:
        raise InvalidInput(
            f"{name!r} names version {embedded!r} but version={version!r} was also given; "
            "pass one of them"
        )
    return base, embedded


# ---------------------------------------------------------------------------- datasets
def find_dataset_id(conn: Connection, name: str) -> int | None:
    """The id of dataset ``name``, or ``None``."""
    row = conn.execute(select(d.datasets.c.id).where(d.datasets.c.name == name)).first()
    return None if row is None else int(row.id)


def ensure_dataset(db: Database, conn: Connection, name: str, description: str | None) -> int:
    """Return the id of dataset ``name``, creating it inside the caller's transaction."""
    found = find_dataset_id(conn, name)
    if found is not None:
        return found
    stamp = now_ms()
    conn.execute(
        db.upsert(d.datasets, ["name"], []),
        {"name": name, "description": description, "created_at": stamp, "updated_at": stamp},
    )
    created = find_dataset_id(conn, name)
    assert created is not None
    return created


def get_dataset(db: Database, name: str) -> Dataset:
    """Return dataset ``name``.

    Raises:
        DatasetNotFound: no such dataset; the message lists known names.
    """
    found = [ds for ds in list_datasets(db, name=name) if ds.name == name]
    if not found:
        raise DatasetNotFound(_unknown(db, name))
    return found[0]


def _unknown(db: Database, name: str) -> str:
    known = [ds.name for ds in list_datasets(db)][:20]
    return (
        f"no dataset {name!r} in {db.safe_url}. Known datasets: {known or 'none'}. "
        f"Log one with lm.log_dataset(frame, {name!r})."
    )


def list_datasets(db: Database, name: str | None = None) -> list[Dataset]:
    """Return every dataset (or only ``name``) with its version count and latest version."""
    v = d.dataset_versions
    stats = (
        select(
            v.c.dataset_id,
            func.max(v.c.version).label("latest"),
            func.count(v.c.id).label("count"),
        )
        .group_by(v.c.dataset_id)
        .subquery()
    )
    query = (
        select(d.datasets, stats.c.latest, stats.c.count)
        .outerjoin(stats, stats.c.dataset_id == d.datasets.c.id)
        .order_by(d.datasets.c.name)
    )
    if name is not None:
        query = query.where(d.datasets.c.name == name)
    with db.read() as conn:
        rows = conn.execute(query).all()
    return [
        Dataset(
            id=row.id,
            name=row.name,
            description=row.description,
            created_at=row.created_at,
            updated_at=row.updated_at,
            latest_version=row.latest,
            num_versions=int(row._mapping["count"] or 0),
            schema=row.schema,
        )
        for row in rows
    ]


def set_schema(db: Database, name: str, schema: dict[str, Any] | None) -> None:
    """Attach (or with ``None`` remove) the declared schema of dataset ``name``."""
    with db.write() as conn:
        dataset_id = ensure_dataset(db, conn, name, None)
        conn.execute(
            update(d.datasets)
            .where(d.datasets.c.id == dataset_id)
            .values(schema=schema, updated_at=now_ms())
        )


# ---------------------------------------------------------------------------- versions
def find_version_by_digest(conn: Connection, dataset_id: int, digest: str) -> int | None:
    """The version number of ``digest`` in a dataset, or ``None``."""
    v = d.dataset_versions
    row = conn.execute(
        select(v.c.version).where(v.c.dataset_id == dataset_id, v.c.digest == digest)
    ).first()
    return None if row is None else int(row.version)


def insert_version(conn: Connection, dataset_id: int, values: dict[str, Any]) -> int:
    """Insert the next version of a dataset and return its number."""
    v = d.dataset_versions
    latest = conn.execute(
        select(func.max(v.c.version)).where(v.c.dataset_id == dataset_id)
    ).scalar()
    number = int(latest or 0) + 1
    conn.execute(v.insert().values(dataset_id=dataset_id, version=number, **values))
    conn.execute(
        update(d.datasets).where(d.datasets.c.id == dataset_id).values(updated_at=now_ms())
    )
    return number


def get_version(db: Database, name: str, ref: VersionRef = None) -> DatasetVersion:
    """Return one version of dataset ``name`` (see the module docstring for ``ref``).

    Raises:
        DatasetNotFound: no such dataset or version.
        InvalidInput: ``ref`` is neither a version number, ``"latest"`` nor a digest prefix.
    """
    name, ref = split_ref(name, ref)
    v = d.dataset_versions
    query = _versions_query().where(d.datasets.c.name == name)
    condition, label = _ref_condition(ref)
    if condition is None:
        query = query.order_by(v.c.version.desc()).limit(1)
    else:
        query = query.where(condition).order_by(v.c.version).limit(2)
    with db.read() as conn:
        rows = conn.execute(query).all()
    if len(rows) > 1:
        raise InvalidInput(
            f"digest prefix {ref!r} matches versions {[r.version for r in rows]} of {name!r}; "
            "give more characters"
        )
    if not rows:
        get_dataset(db, name)
        raise DatasetNotFound(
            f"dataset {name!r} has no version {label}; list them with `loopml datasets show {name}`"
        )
    return version_from_row(rows[0])


def _ref_condition(ref: VersionRef) -> tuple[Any, str]:
    v = d.dataset_versions
    if ref is None or ref == "latest":
        return None, "yet"
    if isinstance(ref, bool):
        raise InvalidInput(f"invalid dataset version {ref!r}")
    if isinstance(ref, int) or (isinstance(ref, str) and _VERSION.match(ref)):
        number = int(ref)
        return v.c.version == number, str(number)
    if isinstance(ref, str) and _DIGEST.match(ref.lower()):
        return v.c.digest.startswith(ref.lower()), f"with a digest starting {ref!r}"
    raise InvalidInput(
        f"invalid dataset version {ref!r}: use a number, 'latest', or a content digest "
        "prefix of at least 7 hex characters"
    )


def list_versions(db: Database, name: str) -> list[DatasetVersion]:
    """Return every version of dataset ``name``, oldest first."""
    get_dataset(db, name)
    query = (
        _versions_query().where(d.datasets.c.name == name).order_by(d.dataset_versions.c.version)
    )
    with db.read() as conn:
        return [version_from_row(row) for row in conn.execute(query)]


def find_versions(db: Database, digest_prefix: str) -> list[DatasetVersion]:
    """Return the versions of any dataset whose content digest starts with ``digest_prefix``."""
    prefix = digest_prefix.lower()
    if not _DIGEST.match(prefix):
        raise InvalidInput(f"{digest_prefix!r} is not a digest prefix of 7 to 64 hex characters")
    query = _versions_query().where(d.dataset_versions.c.digest.startswith(prefix))
    with db.read() as conn:
        rows = conn.execute(query.order_by(d.datasets.c.name, d.dataset_versions.c.version))
        return [version_from_row(row) for row in rows]


def versions_of_run(db: Database, run_id: str) -> list[tuple[str, DatasetVersion]]:
    """Return ``(relation, version)`` for every dataset version linked to a run."""
    e = core.lineage_edges
    query = select(e.c.relation, e.c.dst_id).where(
        e.c.src_type == "run", e.c.src_id == run_id, e.c.dst_type == NODE_TYPE
    )
    with db.read() as conn:
        edges = conn.execute(query.order_by(e.c.id)).all()
    out = []
    for edge in edges:
        name, _, number = str(edge.dst_id).rpartition("/")
        out.append((str(edge.relation), get_version(db, name, int(number))))
    return out


def links(db: Database, node_ids: Sequence[str]) -> list[VersionLink]:
    """Return lineage edges that start or end at these dataset version node ids."""
    if not node_ids:
        return []
    e = core.lineage_edges
    touching = or_(
        (e.c.src_type == NODE_TYPE) & e.c.src_id.in_(node_ids),
        (e.c.dst_type == NODE_TYPE) & e.c.dst_id.in_(node_ids),
    )
    with db.read() as conn:
        rows = conn.execute(select(e).where(touching).order_by(e.c.id)).all()
    return [
        VersionLink(
            row.src_type,
            row.src_id,
            row.relation,
            row.dst_type,
            row.dst_id,
            row.created_at,
            row.attributes or {},
        )
        for row in rows
    ]


def _versions_query() -> Any:
    return select(d.dataset_versions, d.datasets.c.name).join(
        d.datasets, d.datasets.c.id == d.dataset_versions.c.dataset_id
    )


def version_from_row(row: Row[Any]) -> DatasetVersion:
    """Build a :class:`DatasetVersion` from a joined version row."""
    return DatasetVersion(
        name=row.name,
        version=row.version,
        digest=row.digest,
        blob_digest=row.blob_digest,
        size_bytes=row.size_bytes,
        num_rows=row.num_rows,
        num_columns=row.num_columns,
        columns={c["name"]: c["type"] for c in row.columns},
        column_digests=dict(row.column_digests),
        profile=DatasetProfile.from_dict(row.profile),
        created_at=row.created_at,
        source=row.source,
        description=row.description,
        metadata=row._mapping["metadata"] or {},
        run_id=row.run_id,
    )
