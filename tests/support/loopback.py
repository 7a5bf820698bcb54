"""A WSGI app served by waitress on a free loopback port, from a daemon thread, until stopped."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from waitress import create_server


def serve_in_thread(app: Any, *, threads: int) -> tuple[str, Callable[[], None]]:
    """Serve app on 127.0.0.1; its base URL and the function that stops the server."""
    server = create_server(app, host="127.0.0.1", port=0, threads=threads)
    closing = threading.Event()

    def run() -> None:
        try:
            server.run()
        except OSError:  # waitress's select loop sees its sockets closed under it at shutdown
            if not closing.is_set():
                raise

    def stop() -> None:
        closing.set()
        server.close()

    threading.Thread(target=run, daemon=True).start()
    return f"http://127.0.0.1:{server.effective_port}", stop  # type: ignore[union-attr]
