"""Streaming uploads into the blob store (bodies are spooled to disk, never held whole)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool

if TYPE_CHECKING:
    from fastapi import Request

    from loopml.store import BlobRef, Store


async def store_body(request: Request, store: Store, media_type: str) -> BlobRef:
    """Write the request body to a temporary file and put it in the blob store."""
    handle, name = tempfile.mkstemp(prefix="loopml-upload-")
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            async for chunk in request.stream():
                out.write(chunk)
        return await run_in_threadpool(store.put_blob_file, path, media_type)
    finally:
        path.unlink(missing_ok=True)
