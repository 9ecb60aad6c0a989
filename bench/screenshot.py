"""The README screenshot, regenerated: the demo index served by uvicorn, shot by Chromium.

    python -m bench.screenshot          # docs/screenshot.png and docs/screenshot-phone.png
    python -m bench.screenshot --data data --query "tiep cong dan"

Builds the bundled demo (demo/vi_news_demo.jsonl.gz) into a temporary data directory unless
--data names one, serves it on 127.0.0.1 (a free port) and drives Debian's /usr/bin/chromium with
Playwright at 1100 × 820 (desktop) and 375 × 740 (phone).
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import uvicorn

from indexer.config import Settings
from indexer.importer import import_files
from indexer.store import Store

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo" / "archive_demo.jsonl.gz"  # what `make run` serves
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]
SHOTS = {"screenshot.png": (1100, 820, False), "screenshot-phone.png": (375, 740, True)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def shoot(data: Path, out: Path, query: str) -> list[Path]:
    """Serve `data`, open the results page of `query`, write one PNG per size into `out`."""
    from playwright.sync_api import sync_playwright

    from search.app import create_app

    app = create_app(Settings(data_dir=data))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    written = []
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port}/search?" + urlencode({"q": query})
        out.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                for name, (width, height, phone) in SHOTS.items():
                    ctx = browser.new_context(viewport={"width": width, "height": height},
                                              locale="vi-VN", is_mobile=phone, has_touch=phone,
                                              device_scale_factor=1)
                    page = ctx.new_page()
                    page.goto(url)
                    page.wait_for_selector("li.hit")
                    page.screenshot(path=str(out / name))
                    ctx.close()
                    written.append(out / name)
            finally:
                browser.close()
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.engine.close()
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, help="a data directory to serve (default: build the demo)")
    ap.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNGs (docs/)")
    ap.add_argument("--query", default="tiep cong dan", help="the query shown")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tracuu-shot-") as tmp:
        data = args.data
        if data is None:
            data = Path(tmp) / "data"
            with Store(data) as store:
                import_files(store, [DEMO])
        for path in shoot(data, args.out, args.query):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
