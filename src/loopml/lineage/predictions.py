"""Find one logged prediction by id among millions, reading one row group.

The prediction log (``predictions/<deployment>`` streams, owned by
:mod:`loopml.store.predlog`) is a set of immutable parquet files. Each file's footer
holds, per row group, the minimum and maximum ``prediction_id``; those ranges are read
once per file and kept in an index (in memory and in
``<home>/cache/lineage/prediction-index.json``), so a lookup lists the files, skips every
row group whose range excludes the id and reads the one or two that may hold it.
"""

from __future__ import annotations

import io
import json
import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Any

import pyarrow.compute as pc
import pyarrow.parquet as pq

from loopml.errors import ArtifactNotFound
from loopml.store.predlog.feedback import list_deployments
from loopml.store.streams import (
    PREDICTION_COLUMNS_NO_INPUTS,
    PREDICTIONS_PREFIX,
    predictions_stream,
)

if TYPE_CHECKING:
    from pathlib import Path

    from loopml.store.events import EventLog

logger = logging.getLogger(__name__)

#: Columns a lineage answer needs (the inputs stay in the log).
COLUMNS = PREDICTION_COLUMNS_NO_INPUTS
#: Per row group: (min id, max id, min model, max model, min version, max version, rows).
Group = tuple[str, str, str, str, int, int, int]
Ranges = list[Group]
LISTING_TTL_S = 30.0
_ANY: Group = ("", "\U0010ffff", "", "\U0010ffff", 0, 1 << 62, 0)


class PredictionIndex:
    """Row-group id ranges of every prediction-log file, cached in memory and on disk.

    Args:
        log: the event log holding the prediction streams.
        cache_file: where to keep the ranges between processes (``None``: memory only).
    """

    def __init__(self, log: EventLog, cache_file: Path | None = None) -> None:
        self.log = log
        self.cache_file = cache_file
        self._ranges: dict[str, Ranges] = {}
        self._lock = threading.Lock()
        self._loaded = False
        self._listed: tuple[float, list[str]] | None = None

    def find(self, prediction_id: str) -> dict[str, Any] | None:
        """Return the logged row of ``prediction_id`` (without inputs), or ``None``.

        A miss lists the files again (a prediction logged since the last listing is found).
        """
        row = self._find(prediction_id, self.files())
        if row is None and self._listed is not None:
            self._listed = None
            row = self._find(prediction_id, self.files())
        return row

    def _find(self, prediction_id: str, keys: list[str]) -> dict[str, Any] | None:
        ranges = self._ranges_of(keys)
        for file_key in keys:
            groups = [i for i, g in enumerate(ranges[file_key]) if g[0] <= prediction_id <= g[1]]
            if groups:
                row = self._read_row(file_key, groups, prediction_id)
                if row is not None:
                    return row
        return None

    def deployments_of(self, model: str, version: int) -> dict[str, int]:
        """Return ``{deployment: rows at most}`` of the log files that may hold the version."""
        keys = self.files()
        ranges = self._ranges_of(keys)
        found: dict[str, int] = {}
        for file_key in keys:
            for group in ranges[file_key]:
                if group[2] <= model <= group[3] and group[4] <= version <= group[5]:
                    deployment = _deployment_of(file_key)
                    found[deployment] = found.get(deployment, 0) + group[6]
        return found

    def latest_models(self) -> dict[str, tuple[str, int]]:
        """Return ``{deployment: (model, version)}`` of each deployment's newest log file.

        Read from cached footers: only a file's last row group whose model and version
        are a single value counts (a swap inside one flush is seen at the next file).
        """
        keys = self.files()
        ranges = self._ranges_of(keys)
        found: dict[str, tuple[str, int]] = {}
        for file_key in keys:  # newest first
            deployment = _deployment_of(file_key)
            groups = ranges[file_key]
            if deployment in found or not groups:
                continue
            last = groups[-1]
            if last[2] == last[3] and last[4] == last[5]:
                found[deployment] = (str(last[2]), int(last[4]))
        return found

    def files(self) -> list[str]:
        """Return the live files of every prediction stream, newest first.

        The listing is reused for ``LISTING_TTL_S``; :meth:`find` lists again on a miss.
        """
        listed = self._listed
        if listed is not None and time.monotonic() - listed[0] < LISTING_TTL_S:
            return listed[1]
        found = self._list()
        self._listed = (time.monotonic(), found)
        return found

    def _list(self) -> list[str]:
        found: list[str] = []
        for deployment in list_deployments(self.log):
            found += self.log.keys(predictions_stream(deployment))
        return sorted(found, key=_file_time, reverse=True)

    def _ranges_of(self, keys: list[str]) -> dict[str, Ranges]:
        with self._lock:
            if not self._loaded:
                self._ranges.update(self._load())
                self._loaded = True
            missing = [k for k in keys if k not in self._ranges]
            for file_key in missing:
                self._ranges[file_key] = self._footer_ranges(file_key)
            if missing:
                live = set(keys)
                self._ranges = {k: v for k, v in self._ranges.items() if k in live}
                self._save()
            return dict(self._ranges)

    def _open(self, file_key: str) -> pq.ParquetFile:
        path = self.log.backend.local_path(file_key)
        source: Any = (
            str(path) if path is not None else io.BytesIO(self.log.backend.get_bytes(file_key))
        )
        return pq.ParquetFile(source)

    def _footer_ranges(self, file_key: str) -> Ranges:
        try:
            meta = self._open(file_key).metadata
        except (FileNotFoundError, ArtifactNotFound):
            return []
        names = [meta.schema.column(i).path for i in range(meta.num_columns)]
        if "prediction_id" not in names:
            return []
        wanted = [
            names.index(c) if c in names else -1
            for c in ("prediction_id", "model_name", "model_version")
        ]
        ranges: Ranges = []
        for number in range(meta.num_row_groups):
            group = meta.row_group(number)
            bounds: list[Any] = []
            for position, column in enumerate(wanted):
                stats = group.column(column).statistics if column >= 0 else None
                if stats is None or not stats.has_min_max:  # unknown: never excluded
                    bounds += [_ANY[2 * position], _ANY[2 * position + 1]]
                else:
                    bounds += [stats.min, stats.max]
            ranges.append((*bounds, group.num_rows))
        return ranges

    def _read_row(
        self, file_key: str, groups: list[int], prediction_id: str
    ) -> dict[str, Any] | None:
        try:
            file = self._open(file_key)
        except (FileNotFoundError, ArtifactNotFound):
            return None
        wanted = [c for c in COLUMNS if c in file.schema_arrow.names]
        table = file.read_row_groups(groups, columns=wanted)
        matches = table.filter(pc.equal(table["prediction_id"], prediction_id))
        if matches.num_rows == 0:
            return None
        row: dict[str, Any] = matches.slice(0, 1).to_pylist()[0]
        row["file"] = file_key
        return row

    def _load(self) -> dict[str, Ranges]:
        if self.cache_file is None or not self.cache_file.is_file():
            return {}
        try:
            body = json.loads(self.cache_file.read_text())
        except (OSError, ValueError):
            return {}
        if body.get("backend") != self.log.backend.url:
            return {}
        return {k: [tuple(r) for r in v] for k, v in body.get("files", {}).items()}

    def _save(self) -> None:
        if self.cache_file is None:
            return
        body = {"backend": self.log.backend.url, "files": self._ranges}
        try:
            self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.cache_file.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps(body))
            os.replace(temporary, self.cache_file)
        except OSError:
            logger.debug(
                "could not save the prediction index to %s", self.cache_file, exc_info=True
            )


def _deployment_of(file_key: str) -> str:
    return file_key.split(f"/{PREDICTIONS_PREFIX}/", 1)[-1].split("/date=", 1)[0]


def _file_time(file_key: str) -> str:
    # part-<epoch ms>-<random>.parquet under date=YYYY-MM-DD: the date and then the name order.
    return file_key.rsplit("/date=", 1)[-1]
