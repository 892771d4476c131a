"""Turn in-memory objects into artifact bytes and back (pure apart from optional imports).

dict/list -> JSON, pandas DataFrame -> parquet, matplotlib figure -> PNG, str -> text,
bytes -> bytes. Reading picks the decoder from the recorded media type.
"""

from __future__ import annotations

import io
import json
import mimetypes
from typing import Any

from loopml.errors import InvalidInput

JSON = "application/json"
PARQUET = "application/vnd.apache.parquet"
PNG = "image/png"
TEXT = "text/plain"
OCTET = "application/octet-stream"


def encode(obj: object) -> tuple[bytes, str, str]:
    """Return ``(bytes, media type, default file suffix)`` for a supported object.

    Raises:
        InvalidInput: the object's type has no artifact encoding.
    """
    if isinstance(obj, bytes | bytearray | memoryview):
        return bytes(obj), OCTET, ".bin"
    if isinstance(obj, str):
        return obj.encode(), TEXT, ".txt"
    if isinstance(obj, dict | list | tuple):
        return encode_json(obj), JSON, ".json"
    if _is_dataframe(obj):
        return encode_parquet(obj), PARQUET, ".parquet"
    if _is_figure(obj):
        return encode_png(obj), PNG, ".png"
    raise InvalidInput(
        f"cannot store a {type(obj).__module__}.{type(obj).__name__} as an artifact; pass a dict, "
        "list, str, bytes, pandas DataFrame or matplotlib figure, or save it to a file and use "
        "run.log_artifact(path)"
    )


def encode_json(obj: object) -> bytes:
    """Encode JSON-ready data with sorted keys, so identical content has an identical digest."""
    try:
        return json.dumps(obj, indent=2, sort_keys=True, allow_nan=True).encode()
    except (TypeError, ValueError) as err:
        raise InvalidInput(f"cannot encode the object as JSON: {err}") from err


def encode_parquet(frame: Any) -> bytes:
    """Encode a pandas DataFrame as parquet bytes."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=True)
    return buffer.getvalue()


def encode_png(figure: Any) -> bytes:
    """Render a matplotlib figure to PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def decode(data: bytes, media_type: str) -> object:
    """Decode artifact bytes by media type: JSON -> data, parquet -> DataFrame, text -> str."""
    if media_type == JSON:
        return json.loads(data)
    if media_type == PARQUET:
        import pandas as pd

        return pd.read_parquet(io.BytesIO(data))
    if media_type.startswith("text/"):
        return data.decode()
    return data


def guess_media_type(path: str) -> str:
    """Guess a media type from a file name."""
    lowered = path.lower()
    if lowered.endswith(".parquet"):
        return PARQUET
    guessed, _ = mimetypes.guess_type(path)
    return guessed or OCTET


def _is_dataframe(obj: object) -> bool:
    return type(obj).__name__ == "DataFrame" and type(obj).__module__.startswith("pandas")


def _is_figure(obj: object) -> bool:
    return hasattr(obj, "savefig") and type(obj).__module__.startswith("matplotlib")
