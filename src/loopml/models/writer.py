"""Build model packages and store them: ``run.log_model`` and ``save_package``.

The package is built in a temporary folder, loaded back and asked to predict on the
example before anything is stored, so a package that cannot be loaded never lands.
"""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from loopml._utils.hashing import sha256_bytes
from loopml.errors import InvalidInput, LoopmlError
from loopml.models import inputs, packages as pk
from loopml.models.flavors import Flavor, detect_flavor, get_flavor
from loopml.models.inference import infer_inputs, infer_outputs
from loopml.models.signatures import ColumnSpec, Signature
from loopml.store.lineage import Edge, Node, record_edges

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping, Sequence

    from loopml.store import Store
    from loopml.tracking import Run

logger = logging.getLogger(__name__)


def log_model(run: Run, model: object, name: str = "model", **options: Any) -> pk.ModelPackage:
    """Package ``model`` as artifacts of ``run`` under ``name`` (see :func:`build_package`).

    Returns:
        The :class:`~loopml.models.packages.ModelPackage`; its ``uri`` is
        ``runs:/<run id>/<name>``, which ``register_model`` and ``load_model`` accept.
    """
    with tempfile.TemporaryDirectory(prefix="loopml-model-") as tmp:
        folder = Path(tmp)
        manifest, flavor, signature = build_package(model, folder, **options)
        infos = run.log_artifacts(folder, name)
    digest = next(i.digest for i in infos if i.path == f"{name.strip('/')}/{pk.MANIFEST}")
    record_edges(run.store, [Edge(Node("run", run.id), "produced", Node("model_package", digest))])
    logger.info("logged %s model %s in run %s", flavor.name, digest[:12], run.id)
    return pk.ModelPackage(digest, flavor.name, signature, run.id, name.strip("/"), manifest)


def save_package(store: Store, model: object, **options: Any) -> pk.ModelPackage:
    """Store a model package without a run (pipelines use this); same options as log_model."""
    with tempfile.TemporaryDirectory(prefix="loopml-model-") as tmp:
        folder = Path(tmp)
        manifest, flavor, signature = build_package(model, folder, **options)
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            store.put_blob_file(path, _media_type(path))
        digest = sha256_bytes((folder / pk.MANIFEST).read_bytes())
    return pk.ModelPackage(digest, flavor.name, signature, None, None, manifest)


def build_package(
    model: object,
    folder: Path,
    *,
    example: Any = None,
    signature: Signature | Mapping[str, Any] | None = None,
    flavor: str | None = None,
    artifacts: Mapping[str, str | os.PathLike[str]] | None = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    model_config: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], Flavor, Signature | None]:
    """Write a package for ``model`` into ``folder`` and check that it loads and predicts.

    Args:
        model: the fitted model.
        folder: an empty folder.
        example: a few input rows (DataFrame, 2-D array, records or columns); the
            signature is inferred from them and the model's predictions on them.
        signature: an explicit signature instead of inferring one.
        flavor: force a flavor (default: detected from the model).
        artifacts: name -> file or folder bundled with an ``lm.PythonModel``.
        code_paths: Python files or packages put on ``sys.path`` before loading.
        model_config: settings handed to an ``lm.PythonModel`` in its context.
        metadata: free-form JSON-ready data stored in the manifest.

    Returns:
        ``(manifest, flavor, signature)``.

    Raises:
        InvalidInput: no flavor fits the model, or the packaged model cannot predict on
            its example (the package is not stored then).
        SignatureMismatch: the example does not fit the given signature.
    """
    chosen = get_flavor(flavor) if flavor else detect_flavor(model)
    (folder / "model").mkdir()
    options = chosen.save(model, folder / "model")
    loader = f"{type(chosen).__module__}:{type(chosen).__name__}"
    manifest = pk.base_manifest(chosen.name, loader, model, options, list(chosen.packages))
    manifest["artifacts"] = pk.copy_artifacts(folder, artifacts or {})
    manifest["code"] = pk.copy_code(folder, list(code_paths or []))
    manifest["model_config"] = _json_ready(dict(model_config or {}), "model_config")
    manifest["metadata"] = _json_ready(dict(metadata or {}), "metadata")
    (folder / "requirements.txt").write_text(pk.requirements(manifest["packages"]))
    sig = _given_signature(signature)
    if sig is None and example is not None:
        sig = Signature(infer_inputs(example, _feature_names(model)))
    native = _load_back(chosen, folder, manifest)
    if sig is None:
        sig = _signature_from_model(native)
    if sig is not None and example is not None:
        sig, rows = _check_example(chosen, native, sig, example)
        (folder / "example.json").write_text(json.dumps(rows, indent=1))
    elif sig is not None:
        chosen.check(native, sig)
    manifest["signature"] = sig.to_dict() if sig is not None else None
    pk.write_manifest(folder, manifest)
    return manifest, chosen, sig


def _load_back(flavor: Flavor, folder: Path, manifest: dict[str, Any]) -> Any:
    files = _FolderFiles(folder, manifest)
    try:
        return flavor.load(files, manifest["options"])
    except LoopmlError:
        raise
    except Exception as err:
        raise InvalidInput(
            f"the {flavor.name} package of this model cannot be loaded back ({err!r}); "
            "nothing was stored"
        ) from err


def _check_example(
    flavor: Flavor, native: Any, sig: Signature, example: Any
) -> tuple[Signature, list[dict[str, Any]]]:
    flavor.check(native, sig)
    prepared = inputs.prepare(sig, example, wants_frame=flavor.wants_frame(native))
    try:
        output = flavor.predict(native, prepared)
    except Exception as err:
        raise InvalidInput(
            f"the packaged {flavor.name} model failed to predict on the example ({err!r}); "
            "check that the example has the model's training columns. Nothing was stored."
        ) from err
    if not sig.outputs:
        sig = Signature(sig.inputs, infer_outputs(output))
    rows = _example_rows(sig, inputs.prepare(sig, example, wants_frame=False))
    return sig, rows


def _example_rows(sig: Signature, array: np.ndarray) -> list[dict[str, Any]]:
    head = array[: pk.EXAMPLE_ROWS]
    return [{spec.name: _plain(row[j]) for j, spec in enumerate(sig.inputs)} for row in head]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def _given_signature(signature: Signature | Mapping[str, Any] | None) -> Signature | None:
    if signature is None or isinstance(signature, Signature):
        return signature
    return Signature.from_dict(signature)


def _feature_names(model: object) -> list[str] | None:
    names = getattr(model, "feature_names_in_", None)
    return None if names is None else [str(n) for n in names]


def _signature_from_model(native: Any) -> Signature | None:
    # A model fitted on a bare array took numbers; one fitted on a frame may take strings,
    # so without an example its column types are unknown.
    count = getattr(native, "n_features_in_", None)
    if not isinstance(count, int) or _feature_names(native) is not None:
        logger.warning("no example given: the package has no signature; pass example=X[:5]")
        return None
    return Signature(tuple(ColumnSpec(f"f{j}", "float64") for j in range(count)))


def _json_ready(value: dict[str, Any], what: str) -> dict[str, Any]:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise InvalidInput(
            f"{what} must be JSON-ready (str, numbers, lists, dicts): {err}"
        ) from err
    return value


def _media_type(path: Path) -> str:
    if path.suffix == ".json":
        return "application/json"
    if path.suffix == ".txt":
        return "text/plain"
    return "application/octet-stream"


class _FolderFiles:
    """Package files of a package being built (for loading it back before storing)."""

    def __init__(self, folder: Path, manifest: Mapping[str, Any]) -> None:
        self._folder = folder
        self.manifest = manifest

    def path(self, name: str) -> Path:
        candidate = self._folder / "model" / name
        return candidate if candidate.is_file() else self._folder / name

    def folder(self) -> Path:
        return self._folder
