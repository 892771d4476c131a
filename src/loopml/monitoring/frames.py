"""Turn user data (pandas, Arrow, mappings, parquet/CSV paths) into column arrays.

These helpers do no statistics: they decide column kinds, pull numeric columns out as
float64 (NaN for missing), and map categorical values to text labels or reference codes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from loopml.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

Kind = Literal["numeric", "categorical"]


def to_frame(data: Any) -> pd.DataFrame:
    """Return ``data`` (DataFrame, Arrow table, mapping of columns, or a path) as a DataFrame.

    Raises:
        InvalidInput: the data is of an unsupported type or the file cannot be read.
    """
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, str | Path):
        return read_file(Path(data))
    if hasattr(data, "to_pandas") and hasattr(data, "schema"):
        return data.to_pandas()
    if isinstance(data, dict):
        try:
            return pd.DataFrame(data)
        except ValueError as err:
            raise InvalidInput(f"cannot turn the mapping into columns: {err}") from err
    raise InvalidInput(
        f"expected a pandas DataFrame, pyarrow Table, mapping of columns or a parquet/CSV path, "
        f"not {type(data).__name__}"
    )


def read_file(path: Path) -> pd.DataFrame:
    """Read a parquet or CSV file into a DataFrame.

    Raises:
        InvalidInput: the file is missing or its suffix is not .parquet/.pq/.csv.
    """
    if not path.exists():
        raise InvalidInput(f"no such file {str(path)!r}; give the path of a parquet or CSV file")
    suffix = path.suffix.lower()
    if suffix in {".parquet", ".pq"} or path.is_dir():
        return pd.read_parquet(path)
    if suffix == ".csv":
        return pd.read_csv(path)
    raise InvalidInput(f"cannot read {str(path)!r}: use a .parquet or .csv file")


def select_columns(frame: pd.DataFrame, columns: Sequence[str] | None, *, what: str) -> list[str]:
    """Return the requested column names, checking that ``frame`` has them."""
    available = [str(c) for c in frame.columns]
    if columns is None:
        return available
    missing = [c for c in columns if c not in available]
    if missing:
        raise InvalidInput(f"the {what} has no column(s) {missing}; its columns are {available}")
    return list(columns)


def column_kinds(
    frame: pd.DataFrame, names: Sequence[str], categorical: Sequence[str]
) -> dict[str, Kind]:
    """Numeric for int/float columns, categorical for text, bool, category and ``categorical``."""
    forced = set(categorical)
    kinds: dict[str, Kind] = {}
    for name in names:
        dtype = frame[name].dtype
        numeric = dtype.kind in "iuf" and name not in forced
        kinds[name] = "numeric" if numeric else "categorical"
    return kinds


def numeric_values(series: pd.Series) -> NDArray[np.float64]:
    """Return a column as float64 with NaN for missing values."""
    plain = not isinstance(series.dtype, pd.api.extensions.ExtensionDtype)
    if series.dtype.kind in "iuf" and plain:
        out: NDArray[np.float64] = series.to_numpy(dtype=np.float64)
    else:
        numbers = pd.to_numeric(series, errors="coerce")
        out = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
    return out


def numeric_with_errors(series: pd.Series) -> tuple[NDArray[np.float64], int]:
    """Return a column as float64 and how many non-missing values were not numbers."""
    if series.dtype.kind in "iufb":
        return numeric_values(series), 0
    values: NDArray[np.float64] = pd.to_numeric(series, errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    errors = int(np.isnan(values).sum() - series.isna().sum())
    return values, max(errors, 0)


def _as_text(series: pd.Series) -> pd.Series:
    if series.dtype == object or isinstance(series.dtype, pd.StringDtype):
        return series
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.astype(object)
    return series.astype(object).where(series.notna(), None).map(_label, na_action="ignore")


def _label(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def category_counts(series: pd.Series) -> tuple[list[str], NDArray[np.int64], int]:
    """Return the text labels of a column's categories, their counts, and the null count.

    Labels that coincide after conversion to text (``1`` and ``"1"``) are merged.
    """
    codes, uniques = pd.factorize(_as_text(series), use_na_sentinel=True)
    nulls = int((codes < 0).sum())
    counts = np.bincount(codes[codes >= 0] if nulls else codes, minlength=len(uniques))
    merged: dict[str, int] = {}
    for label, count in zip((_label(u) for u in uniques), counts.tolist(), strict=True):
        merged[label] = merged.get(label, 0) + count
    return list(merged), np.array(list(merged.values()), dtype=np.int64), nulls


def category_codes(
    series: pd.Series, categories: Sequence[str]
) -> tuple[NDArray[np.int64], NDArray[Any], int]:
    """Map a column to reference category codes.

    Returns:
        ``(codes, unseen, nulls)``: codes of non-null values (-1 for a category the reference
        never saw), the unseen labels (one per -1 code, in order) and the null count.
    """
    text = _as_text(series)
    codes_all, uniques = pd.factorize(text, use_na_sentinel=True)
    labels = [_label(u) for u in uniques]
    lookup = {c: i for i, c in enumerate(categories)}
    mapping = np.array([lookup.get(label, -1) for label in labels] + [-2], dtype=np.int64)
    mapped = mapping[codes_all]  # -1 sentinel of factorize indexes the trailing -2 (null)
    nulls = int((codes_all < 0).sum())
    codes = mapped[mapped != -2] if nulls else mapped
    unseen_codes = codes_all[(mapped == -1)]
    unseen = (
        np.array(labels, dtype=object)[unseen_codes]
        if len(unseen_codes)
        else np.array([], dtype=object)
    )
    return codes, unseen, nulls
