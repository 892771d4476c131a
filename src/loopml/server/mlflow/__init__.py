"""MLflow REST compatibility: what the ``mlflow`` client calls, served from loopml's store."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import APIRouter

ROUTERS: tuple[APIRouter, ...] = ()
