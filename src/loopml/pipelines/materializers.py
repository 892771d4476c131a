"""Materializers: how step outputs become artifact bytes in the blob store, and back.

Built in, chosen by the value's type (first match wins, registered ones first):

========== ======================================== ==========================
name       types                                    format
========== ======================================== ==========================
parquet    pandas DataFrame, Series                 Apache Parquet
npy        numpy ndarray (not object dtype), scalar NumPy ``.npy``
json       dict, list, tuple, str, int, float, bool JSON (sorted keys)
bytes      bytes, bytearray                         raw bytes
model      fitted models (sklearn, XGBoost, ...)    a loopml model package (loopml.models)
========== ======================================== ==========================

Anything else needs :func:`register_materializer`; otherwise the step fails with
:class:`NoMaterializer` naming the type. Blobs are content-addressed and verified on
every read, so a stored model is only ever loaded from the exact bytes loopml wrote.
"""

from __future__ import annotations

import io
import json
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from loopml.errors import InvalidInput
from loopml.models.flavors import detect_flavor
from loopml.models.loading import PackageLoader
from loopml.models.writer import log_model, save_package
from loopml.pipelines.errors import NoMaterializer

if TYPE_CHECKING:
    from collections.abc import Callable

    from loopml.store import Store
    from loopml.tracking import Run


@runtime_checkable
class Materializer(Protocol):
    """Turns values of some types into bytes and back.

    Attributes:
        name: unique name stored with each artifact (used to load it again).
        media_type: media type of the bytes.
    """

    name: str
    media_type: str

    def can_save(self, value: object) -> bool:
        """Whether this materializer handles ``value``."""

    def save(self, value: object) -> bytes:
        """Return the bytes of ``value`` (equal values should give equal bytes)."""

    def load(self, data: bytes) -> object:
        """Rebuild the value from its bytes."""


@dataclass(frozen=True, slots=True)
class FunctionMaterializer:
    """A materializer for instances of ``types`` from two functions.

    Example:
        >>> import loopml as lm
        >>> lm.register_materializer(  # doctest: +SKIP
        ...     lm.FunctionMaterializer("point", (Point,), save_fn=encode, load_fn=decode)
        ... )
    """

    name: str
    types: tuple[type, ...]
    save_fn: Callable[[Any], bytes]
    load_fn: Callable[[bytes], Any]
    media_type: str = "application/octet-stream"

    def can_save(self, value: object) -> bool:
        """Whether ``value`` is an instance of one of ``types``."""
        return isinstance(value, self.types)

    def save(self, value: object) -> bytes:
        """Encode with ``save_fn``."""
        return self.save_fn(value)

    def load(self, data: bytes) -> object:
        """Decode with ``load_fn``."""
        return self.load_fn(data)


class ParquetMaterializer:
    """pandas DataFrame and Series as parquet."""

    name = "parquet"
    media_type = "application/vnd.apache.parquet"

    def can_save(self, value: object) -> bool:
        """DataFrames and Series."""
        kind = type(value)
        return kind.__module__.startswith("pandas") and kind.__name__ in {"DataFrame", "Series"}

    def save(self, value: object) -> bytes:
        """Write parquet; a Series is stored as a one-column frame marked as a Series."""
        frame: Any = value
        if type(value).__name__ == "Series":
            series: Any = value
            frame = series.to_frame(name="__series__" if series.name is None else series.name)
            frame.attrs = {"loopml_series": True}
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=True)
        return buffer.getvalue()

    def load(self, data: bytes) -> object:
        """Read parquet back into a DataFrame (or Series)."""
        import pandas as pd

        frame = pd.read_parquet(io.BytesIO(data))
        if frame.attrs.get("loopml_series"):
            series = frame.iloc[:, 0]
            series.name = None if series.name == "__series__" else series.name
            return series
        return frame


class NumpyMaterializer:
    """numpy arrays (not of object dtype) and numpy scalars as ``.npy``."""

    name = "npy"
    media_type = "application/x-npy"

    def can_save(self, value: object) -> bool:
        """ndarrays and numpy scalars without Python objects inside."""
        kind = type(value)
        if not kind.__module__.startswith("numpy"):
            return False
        import numpy as np

        if isinstance(value, np.ndarray | np.generic):
            return value.dtype != object
        return False

    def save(self, value: object) -> bytes:
        """``np.save`` without pickle."""
        import numpy as np

        buffer = io.BytesIO()
        array: Any = value
        np.save(buffer, np.asarray(array), allow_pickle=False)
        if isinstance(value, np.generic):
            buffer.write(b"\x00loopml-scalar")
        return buffer.getvalue()

    def load(self, data: bytes) -> object:
        """``np.load`` without pickle."""
        import numpy as np

        scalar = data.endswith(b"\x00loopml-scalar")
        array = np.load(io.BytesIO(data), allow_pickle=False)
        return array[()] if scalar else array


class JsonMaterializer:
    """JSON-ready Python data: dict, list, tuple, str, int, float, bool, None."""

    name = "json"
    media_type = "application/json"

    def can_save(self, value: object) -> bool:
        """JSON-ready values (containers are checked by encoding them)."""
        if value is None or isinstance(value, str | int | float | bool):
            return True
        if not isinstance(value, dict | list | tuple):
            return False
        try:
            self.save(value)
        except (TypeError, ValueError):
            return False
        return True

    def save(self, value: object) -> bytes:
        """Canonical JSON (sorted keys); a top-level tuple is marked so it loads as a tuple."""
        body = {"tuple": list(value)} if isinstance(value, tuple) else {"value": value}
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def load(self, data: bytes) -> object:
        """Parse the JSON."""
        body = json.loads(data)
        return tuple(body["tuple"]) if "tuple" in body else body["value"]


class BytesMaterializer:
    """Raw bytes."""

    name = "bytes"
    media_type = "application/octet-stream"

    def can_save(self, value: object) -> bool:
        """bytes and bytearray."""
        return isinstance(value, bytes | bytearray)

    def save(self, value: object) -> bytes:
        """The bytes themselves."""
        data: Any = value
        return bytes(data)

    def load(self, data: bytes) -> object:
        """The bytes themselves."""
        return data


class ModelMaterializer:
    """Fitted models as loopml model packages (see docs/models.md).

    Anything a model flavor accepts (scikit-learn estimators and pipelines, XGBoost,
    LightGBM, ``lm.PythonModel``) is stored as a package of the step's tracking run under
    ``outputs/<name>`` (so ``lm.load_model("runs:/<run>/outputs/<name>")`` and
    ``lm.register_model`` work on it); the next step gets the native model back.
    """

    name = "model"
    media_type = "application/vnd.loopml.model-package+json"

    def __init__(self) -> None:
        self._loaders: dict[int, PackageLoader] = {}
        self._lock = threading.Lock()

    def can_save(self, value: object) -> bool:
        """Models some flavor of ``loopml.models`` can package."""
        if not callable(getattr(value, "predict", None)):
            return False
        try:
            detect_flavor(value)
        except InvalidInput:
            return False
        return True

    def save_to(self, store: Store, value: object, run: Run | None, path: str) -> dict[str, Any]:
        """Package ``value`` (as an artifact of ``run`` when there is one)."""
        package = log_model(run, value, path) if run is not None else save_package(store, value)
        size = store.blob_info(package.digest)
        return {
            "digest": package.digest,
            "size": size.size if size is not None else 0,
            "media_type": self.media_type,
            "uri": package.uri,
            "flavor": package.flavor,
        }

    def load_from(self, store: Store, ref: dict[str, Any]) -> object:
        """Load the native model of a stored package (cached per store and digest)."""
        return self._loader(store).load(ref["digest"]).native

    def _loader(self, store: Store) -> PackageLoader:
        with self._lock:
            loader = self._loaders.get(id(store.blobs))
            if loader is None:
                root = (store.home or Path(tempfile.gettempdir())) / "cache" / "models"
                loader = PackageLoader(store.blobs, root)
                self._loaders[id(store.blobs)] = loader
            return loader


@runtime_checkable
class StoreMaterializer(Protocol):
    """A materializer that writes into the store itself (several blobs, records, lineage)."""

    name: str
    media_type: str

    def can_save(self, value: object) -> bool:
        """Whether this materializer handles ``value``."""

    def save_to(self, store: Store, value: object, run: Run | None, path: str) -> dict[str, Any]:
        """Store ``value``; return ``digest``, ``size``, ``media_type`` (and more)."""

    def load_from(self, store: Store, ref: dict[str, Any]) -> object:
        """Rebuild the value from what :meth:`save_to` returned."""


AnyMaterializer = Materializer | StoreMaterializer

_LOCK = threading.Lock()
_BUILTIN: tuple[AnyMaterializer, ...] = (
    ParquetMaterializer(),
    NumpyMaterializer(),
    JsonMaterializer(),
    BytesMaterializer(),
    ModelMaterializer(),
)
_REGISTERED: list[AnyMaterializer] = []


def register_materializer(materializer: AnyMaterializer) -> AnyMaterializer:
    """Add a materializer; it is tried before the built-in ones (latest first).

    Register it at import time of the module that defines your steps, so worker
    processes (process pool, Dask) know it too.

    Raises:
        NoMaterializer: ``materializer`` lacks ``name``, ``media_type``, ``can_save``,
            ``save`` or ``load``.
    """
    if not isinstance(materializer, Materializer | StoreMaterializer):
        raise NoMaterializer(
            f"{materializer!r} is not a materializer: it needs name, media_type, can_save(value), "
            "save(value) -> bytes and load(bytes); lm.FunctionMaterializer builds one"
        )
    with _LOCK:
        _REGISTERED[:] = [m for m in _REGISTERED if m.name != materializer.name]
        _REGISTERED.insert(0, materializer)
    return materializer


def unregister_materializer(name: str) -> None:
    """Remove a registered materializer by name (built-in ones stay)."""
    with _LOCK:
        _REGISTERED[:] = [m for m in _REGISTERED if m.name != name]


def materializers() -> list[AnyMaterializer]:
    """Return every materializer in the order they are tried."""
    with _LOCK:
        return [*_REGISTERED, *_BUILTIN]


def for_value(value: object, where: str) -> AnyMaterializer:
    """Return the materializer for ``value``.

    Raises:
        NoMaterializer: none handles its type; the message says how to register one.
    """
    for materializer in materializers():
        if materializer.can_save(value):
            return materializer
    kind = f"{type(value).__module__}.{type(value).__qualname__}"
    raise NoMaterializer(
        f"{where} is a {kind}, which no materializer can store (tried "
        f"{', '.join(m.name for m in materializers())}). Return a DataFrame, ndarray, "
        "JSON-ready data, bytes or a model, or register one with "
        "lm.register_materializer(lm.FunctionMaterializer(name, (YourType,), "
        "save_fn=..., load_fn=...))"
    )


def by_name(name: str) -> AnyMaterializer:
    """Return the materializer called ``name``.

    Raises:
        NoMaterializer: it is not registered in this process.
    """
    for materializer in materializers():
        if materializer.name == name:
            return materializer
    raise NoMaterializer(
        f"no materializer named {name!r} in this process; register it with "
        "lm.register_materializer(...) at import time of the module that defines the step"
    )
