"""Where everything lives inside a data directory: the one place that names its paths.

    <root>/
        articles.sqlite   every article as imported or crawled (the source for `index rebuild`)
        index/CURRENT     name of the live index folder, swapped atomically by a rebuild
        index/gNNNNNN/    Whoosh index folders (one per rebuild), each with its SCHEMA_VERSION
        write.lock        held (flock) by the one process that writes
        crawl.sqlite      the crawler's memory of URLs
        reports/          one JSON report per crawl run
        files/            attachment originals, content-addressed

Pure: building a DataDir touches nothing on disk; only live_index() reads (CURRENT).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

GENERATION_PREFIX = "g"


@dataclass(frozen=True)
class DataDir:
    """The paths of one data directory."""

    root: Path

    def __post_init__(self) -> None:
        if not isinstance(self.root, Path):  # accept a str from settings or a test
            object.__setattr__(self, "root", Path(self.root))

    @property
    def articles_db(self) -> Path:
        return self.root / "articles.sqlite"

    @property
    def index_root(self) -> Path:
        return self.root / "index"

    @property
    def current(self) -> Path:
        return self.index_root / "CURRENT"

    @property
    def current_tmp(self) -> Path:
        """Written first, then renamed over `current` (an atomic swap)."""
        return self.index_root / "CURRENT.tmp"

    @property
    def lock(self) -> Path:
        return self.root / "write.lock"

    @property
    def crawl_db(self) -> Path:
        return self.root / "crawl.sqlite"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def files(self) -> Path:
        """The archived attachments, content-addressed (crawl.archive)."""
        return self.root / "files"

    @property
    def ocr_queue(self) -> Path:
        return self.root / "ocr.sqlite"

    @property
    def ocr_lock(self) -> Path:
        """Held by whoever works the OCR queue (one at a time)."""
        return self.root / "ocr.lock"

    def live_index(self) -> Path | None:
        """The live index folder, or None before the first import."""
        try:
            name = self.current.read_text().strip()
        except FileNotFoundError:
            return None
        return self.index_root / name

    def index_folders(self) -> list[Path]:
        """Every index folder present, oldest first."""
        if not self.index_root.is_dir():
            return []
        found = [p for p in self.index_root.iterdir() if _generation(p.name) is not None]
        return sorted(found, key=lambda p: _generation(p.name) or 0)

    def next_index_folder(self) -> Path:
        """The folder the next rebuild (or first import) writes (not created here)."""
        last = max((_generation(p.name) or 0 for p in self.index_folders()), default=0)
        return self.index_root / f"{GENERATION_PREFIX}{last + 1:06d}"

    @staticmethod
    def version_file(index_folder: Path) -> Path:
        """The SCHEMA_VERSION file of an index folder."""
        return index_folder / "SCHEMA_VERSION"


def _generation(name: str) -> int | None:
    digits = name[len(GENERATION_PREFIX) :]
    if name.startswith(GENERATION_PREFIX) and digits.isdigit():
        return int(digits)
    return None
