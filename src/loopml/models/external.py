"""Registry entries for models loopml did not package (e.g. folders logged by MLflow).

A version registered here points at a run's artifact folder: its digest is the digest of
the folder's listing (path -> blob digest), so the same files give the same digest, and
its flavor is ``external`` (or what the folder's ``MLmodel`` file names, when it has one).
:func:`loopml.load_model` loads only loopml packages; such versions are loaded with the
tool that wrote them, from the artifacts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import exc as sa_exc

from loopml._utils.clock import now_ms
from loopml._utils.hashing import digest_json
from loopml.errors import AlreadyExists
from loopml.models import registry as reg
from loopml.models.uris import check_name
from loopml.store.tables import models as m
from loopml.tracking import reads

if TYPE_CHECKING:
    from collections.abc import Mapping

    from loopml.models.entities import ModelVersion
    from loopml.store import Store

EXTERNAL_FLAVOR = "external"


def create_model(
    store: Store,
    name: str,
    *,
    by: str,
    description: str | None = None,
    tags: Mapping[str, object] | None = None,
) -> None:
    """Create a registered model with no versions yet.

    Raises:
        AlreadyExists: a model with this name exists.
    """
    check_name(name)
    now = now_ms()
    try:
        with store.db.write() as conn:
            conn.execute(
                m.registered_models.insert().values(
                    name=name,
                    description=description,
                    latest_version=0,
                    created_at=now,
                    updated_at=now,
                    created_by=by,
                )
            )
    except sa_exc.IntegrityError as err:
        raise AlreadyExists(f"registered model {name!r} already exists; pick another name") from err
    if tags:
        reg.set_tags(store, name, None, tags)


def register_folder(
    store: Store,
    name: str,
    run_id: str | None,
    folder: str,
    source: str,
    *,
    by: str,
    description: str | None = None,
    tags: Mapping[str, object] | None = None,
) -> ModelVersion:
    """Register the artifact folder ``folder`` of ``run_id`` as the next version of ``name``."""
    listing: dict[str, str] = {}
    flavor = EXTERNAL_FLAVOR
    if run_id is not None:
        prefix = folder.strip("/")
        for info in reads.list_artifacts(store.db, run_id, prefix):
            if not prefix or info.path == prefix or info.path.startswith(prefix + "/"):
                listing[info.path[len(prefix) :].lstrip("/")] = info.digest
        if "MLmodel" in listing:
            flavor = _mlmodel_flavor(store.blobs.get_bytes(listing["MLmodel"]))
    digest = (
        digest_json({"source": source, "files": listing}) if not listing else digest_json(listing)
    )
    new = reg.NewVersion(digest, flavor, None, run_id, source)
    return reg.register(store, name, new, by=by, description=description, tags=tags)


def _mlmodel_flavor(text: bytes) -> str:
    # MLmodel is YAML; its top-level "flavors:" block lists the flavors, indented by two.
    in_flavors = False
    for line in text.decode(errors="replace").splitlines():
        if line.startswith("flavors:"):
            in_flavors = True
            continue
        if in_flavors and line.startswith("  ") and not line.startswith("   "):
            name = line.strip().rstrip(":")
            if name and name != "python_function":
                return f"mlflow.{name}"[:64]
        elif in_flavors and line and not line.startswith(" "):
            break
    return "mlflow.pyfunc"
