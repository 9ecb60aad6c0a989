"""What a crawl run did: per-site counts and coverage, the summary lines, the JSON report file."""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path


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
    skipped: dict[str, int] = field(default_factory=dict)  # off-site, depth, calendar...
    budget_exhausted: bool = False
    failed: str | None = None
    seconds: float = 0.0
    # Coverage: every page the run saw, by what it is (article, document, listing, empty,
    # alias, gone, file, error, unchanged); articles in the index for the site after the run;
    # links found but not fetched, by reason (budget, depth, disallowed, off-site, file, ...).
    kinds: dict[str, int] = field(default_factory=dict)
    indexed: int = 0
    not_fetched: dict[str, int] = field(default_factory=dict)
    files_found: int = 0  # links to attached files handed on from article pages

    def saw(self, kind: str) -> None:
        self.kinds[kind] = self.kinds.get(kind, 0) + 1

    def coverage(self) -> str:
        """One line: pages by kind, indexed articles, what was left and why."""
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(self.kinds.items(), key=lambda x: -x[1]))
        left = ", ".join(f"{n} {k}" for k, n in sorted(self.not_fetched.items(),
                                                       key=lambda x: -x[1]))
        return (f"{self.site}: {self.requests} requests; pages {kinds or 'none'}; "
                f"{self.indexed} articles indexed; not fetched: {left or 'none'}")


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

    def coverage(self) -> str:
        """One line per site (`tracuu crawl` prints them under the summary)."""
        return "\n".join("  " + s.coverage() for s in self.sites)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)


def merge(counter: Counter[str], into: dict[str, int]) -> None:
    for key, n in counter.items():
        into[key] = into.get(key, 0) + n


def write_report(folder: Path, report: RunReport) -> Path:
    """`<folder>/crawl-<UTC time>-<pid>.json` (folder: the data directory's reports/)."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = folder / f"crawl-{stamp}-{os.getpid()}.json"
    report.report_path = str(path)
    path.write_text(report.to_json() + "\n", encoding="utf-8")
    return path
