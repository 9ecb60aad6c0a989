"""The cycle: store → queue → `tracuu ocr` in a subprocess → SIGKILL → rerun → each page once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from crawl.attachments import DocStore
from indexer.document import Article
from indexer.store import Store
from tests.crawl.docgen import DOCS, image_pdf


def tracuu(data_dir: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "indexer.cli", "--data-dir", str(data_dir), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )


def page_states(data_dir: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(data_dir / "ocr.sqlite") as db:
        return list(db.execute("SELECT state, attempts FROM pages WHERE state != 'text'"))


def test_store_queue_kill_rerun(tmp_path: Path) -> None:
    data = tmp_path / "data"
    scans = [image_pdf(300 + i, 300) for i in range(8)]  # 8 distinct one-page "scans"
    with DocStore.open(data) as docs:
        atts = [docs.take_in(pdf, url=f"http://x/{i}.pdf", name=f"{i}.pdf",
                             article_id=f"a{i % 4}", site="x.gov.vn")
                for i, pdf in enumerate(scans)]
        # The same file linked from a second page is stored and queued once.
        again = docs.take_in(scans[0], url="http://x/copy.pdf", article_id="a9", site="x.gov.vn")
        assert again.sha256 == atts[0].sha256
        assert docs.queue.counts()["x.gov.vn"]["pending"] == 8
    assert len(list((data / "files").glob("*/*.pdf"))) == 8
    with Store(data) as store:
        store.put([Article(id=f"a{j}", title=f"Văn bản {j}", body="Xem chi tiết tại đây",
                           attachments=[a for i, a in enumerate(atts) if i % 4 == j])
                   for j in range(4)])
        store.sync()

    proc = tracuu(data, "ocr", "--workers", "1")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if sum(s == "done" for s, _ in page_states(data)) >= 2:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    states = page_states(data)
    assert 2 <= sum(s == "done" for s, _ in states) < 8, "the kill came mid-way"

    out, err = tracuu(data, "ocr", "--workers", "2").communicate(timeout=120)
    assert b"0 left" in out, err
    states = page_states(data)
    assert [s for s, _ in states] == ["done"] * 8
    # Each page OCR'd once; only a page in progress at the kill may have run twice.
    assert sum(n for _, n in states) <= 8 + 1

    with Store(data) as store:
        article = store.db.get("a1")
    assert article is not None
    assert [a.status for a in article.attachments] == ["", ""]
    assert all(a.pages == [""] for a in article.attachments)  # blank scans: empty text

    status = subprocess.run([sys.executable, "-m", "indexer.cli", "--data-dir", str(data),
                             "ocr", "--status"], capture_output=True, text=True, check=True)
    assert "x.gov.vn: text 0, pending 0, running 0, done 8, failed 0" in status.stdout


def test_ocr_text_reaches_the_article(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with DocStore.open(data) as docs:
        att = docs.take_in((DOCS / "vi-docs" / "04.TTr-HDND.PDF").read_bytes(),
                           url="http://stp/img/04.TTr-HDND.PDF", name="04.TTr-HDND.PDF",
                           article_id="tt", site="stp")
    assert att.status == "ocr-pending" and att.text == ""
    with Store(data) as store:
        store.put([Article(id="tt", title="Tờ trình", body="File đính kèm", attachments=[att])])
        store.sync()
    # The whole queue: two real scanned pages (the default suite's only real OCR, ~5 s).
    out, err = tracuu(data, "ocr").communicate(timeout=180)
    assert b"2 pages done" in out, err
    with Store(data) as store:
        article = store.db.get("tt")
    assert article is not None
    got = article.attachments[0]
    assert got.status == "" and len(got.pages) == 2
    assert "miễn nhiệm" in got.pages[0]
    assert got.text.startswith(got.pages[0])
