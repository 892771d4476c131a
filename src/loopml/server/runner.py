"""Run the platform server: uvicorn on one socket, the scheduler beside it, a ready signal.

This module is imported by the CLI, so it imports nothing heavy: the FastAPI app (and with
it FastAPI, SQLAlchemy...) and the scheduler are imported by name when the server starts,
which keeps ``loopml --help`` fast.
"""

from __future__ import annotations

import importlib
import logging
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from loopml.client import Client

logger = logging.getLogger(__name__)

APP_MODULE = "loopml.server.app"
SCHEDULER_MODULE = "loopml.pipelines.scheduler"
SCHEDULER_DELAY_S = 1.0
# Refuses a non-loopback address while auth is off (no users).
AUTH_MODULE = "loopml.server.auth.installing"


class PlatformServer:
    """The ``loopml up`` process: REST + MLflow API + UI over one client, plus the scheduler.

    Args:
        client: a local client (its store is what the server serves).
        host: address to listen on.
        port: port (0 picks a free one; :attr:`url` tells which).
        scheduler: also run scheduled pipelines and monitors (under the database lease).
        max_body: largest request body in bytes.
        lease_ttl: seconds the scheduler lease lasts.
    """

    def __init__(
        self,
        client: Client,
        *,
        host: str = "127.0.0.1",
        port: int = 5000,
        scheduler: bool = True,
        max_body: int = 32 * 1024 * 1024,
        lease_ttl: float = 30.0,
    ) -> None:
        self.client = client
        self.host = host
        self.port = port
        self.run_scheduler = scheduler
        self.max_body = max_body
        self.lease_ttl = lease_ttl
        self._socket: socket.socket | None = None
        self._uvicorn: Any = None
        self._scheduler: Any = None

    @property
    def url(self) -> str:
        """The base URL (known once the socket is bound)."""
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self.port}"

    def bind(self) -> socket.socket:
        """Bind the listening socket (resolving port 0 to a free port)."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(2048)
        self.port = int(sock.getsockname()[1])
        self._socket = sock
        return sock

    def serve(self, on_ready: Callable[[str], object] | None = None) -> None:
        """Serve until interrupted (Ctrl-C or SIGTERM); call ``on_ready(url)`` once listening.

        Raises:
            ConfigError: the host is not a loopback address and auth is off (no users).
        """
        import uvicorn  # only needed to serve; keeps `loopml --help` light

        self.client.store  # noqa: B018  (open and migrate now: "ready" means requests work)
        app = importlib.import_module(APP_MODULE).create_app(self.client, max_body=self.max_body)
        authorizer = getattr(app.state, "authorizer", None)
        auth_enabled = authorizer is not None and bool(authorizer.is_enabled())
        importlib.import_module(AUTH_MODULE).check_bind(self.host, auth_enabled)
        sock = self._socket or self.bind()
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
        self._uvicorn = uvicorn.Server(config)
        watcher = threading.Thread(
            target=self._when_started, args=(on_ready,), name="loopml-up-ready", daemon=True
        )
        watcher.start()
        try:
            self._uvicorn.run(sockets=[sock])
        finally:
            self._stop_scheduler()
            sock.close()

    def stop(self) -> None:
        """Ask the server to shut down."""
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True

    def _when_started(self, on_ready: Callable[[str], object] | None) -> None:
        while self._uvicorn is not None and not self._uvicorn.started:
            if self._uvicorn.should_exit:
                return
            time.sleep(0.01)
        if on_ready is not None:
            on_ready(self.url)
        logger.info("loopml server listening on %s", self.url)
        if self.run_scheduler:
            # Give the first requests the interpreter before the scheduler's imports.
            time.sleep(SCHEDULER_DELAY_S)
            if not self._uvicorn.should_exit:
                self._start_scheduler()

    def _start_scheduler(self) -> None:
        try:
            cls = importlib.import_module(SCHEDULER_MODULE).Scheduler
            self._scheduler = cls(
                self.client.store, lease_ttl=self.lease_ttl, settings=self.client.settings
            )
        except Exception:
            logger.exception("the scheduler could not start; the server runs without it")
            return
        thread = threading.Thread(
            target=self._scheduler.run_forever, name="loopml-up-scheduler", daemon=True
        )
        thread.start()

    def _stop_scheduler(self) -> None:
        if self._scheduler is not None:
            self._scheduler.stop()
