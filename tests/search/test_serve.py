"""`tracuu serve`: several worker processes on one socket, connections without Nagle's delay."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from search.serve import listening_socket
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_connections_accepted_on_the_socket_have_tcp_nodelay() -> None:
    """Without it every keep-alive request waits for the client's delayed ACK (~40 ms)."""
    seen: list[int] = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def main() -> None:
        sock = listening_socket("127.0.0.1", 0)
        server = await asyncio.get_running_loop().create_server(Probe, sock=sock)
        port = sock.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()
        await server.wait_closed()

    asyncio.run(main())
    assert seen == [1]


def test_serve_with_two_workers_answers_on_one_keep_alive_connection(corpus_dir: Path) -> None:
    port = free_port()
    cmd = [sys.executable, "-m", "indexer.cli", "--data-dir", str(corpus_dir), "serve"]
    cmd += ["--port", str(port), "--workers", "2"]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=url, timeout=10) as client:
            while True:
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "tracuu serve --workers 2 did not start"
                time.sleep(0.2)
            for q in ("dân vận", "ubnd", "hoi dong nhan dan", "123/KH-UBND"):
                r = client.get("/api/search", params={"q": q})
                assert r.status_code == 200 and r.json()["total"] > 0, q
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert b"serving" in out and b"Traceback" not in out
