"""What a crawl run did: per-site counts, the one-line summary, the JSON report file."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from indexer.document import Article


@dataclass
class SiteReport:
    """What happened on one site."""

    site: str
    requests: int = 0
    downloaded: int = 0  # 200 with a body
    not_modified: int = 0  # 304, or a 200 whose content did not change
    gone: int = 0  # 404/410 answers
    errors: int = 0  # 5xx after retries, network errors, too large
    new: int = 0
    changed: int = 0
    removed: int = 0
    duplicates: int = 0  # pages that declared another canonical URL, or redirected
    listings: int = 0
    not_due: int = 0  # known pages left alone this run (followed from the stored copy)
    disallowed: int = 0
    bad_pages: int = 0  # pages extraction could not read
    skipped: dict[str, int] = field(default_factory=dict)  # off-site, too deep, calendar...
    budget_exhausted: bool = False
    failed: str | None = None
    seconds: float = 0.0


@dataclass
class RunReport:
    """One run, as written to `<data_dir>/reports/` and summed up in one line."""

    started: str
    mode: str
    sites: list[SiteReport] = field(default_factory=list)
    finished: str = ""
    seconds: float = 0.0
    indexed: int = 0
    removed_from_index: int = 0
    report_path: str = ""

    @property
    def failed(self) -> bool:
        return any(s.failed for s in self.sites)

    def total(self, name: str) -> int:
        return sum(int(getattr(s, name)) for s in self.sites)

    def summary(self) -> str:
        """The one line cron mails: counts, time, and where the report is."""
        failed = [s.site for s in self.sites if s.failed]
        head = f"crawl {'FAILED on ' + ', '.join(failed) if failed else 'ok'}"
        return (
            f"{head}: {len(self.sites)} site(s), {self.total('requests')} requests "
            f"({self.total('downloaded')} downloaded, {self.total('not_modified')} unchanged, "
            f"{self.total('gone')} gone, {self.total('errors')} errors); articles "
            f"{self.total('new')} new, {self.total('changed')} changed, "
            f"{self.total('removed')} removed; {self.seconds:.1f}s; report {self.report_path}"
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)


def article_hash(article: Article) -> str:
    """A hash of what the index holds for an article (fetched_at excluded: it always changes)."""
    d = article.to_dict()
    d.pop("fetched_at", None)
    return hashlib.sha256(json.dumps(d, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def write_report(data_dir: Path, report: RunReport) -> Path:
    """`<data_dir>/reports/crawl-<UTC time>-<pid>.json`."""
    folder = data_dir / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = folder / f"crawl-{stamp}-{os.getpid()}.json"
    report.report_path = str(path)
    path.write_text(report.to_json() + "\n", encoding="utf-8")
    return path
