"""What a crawl run did: per-site state, counts and coverage, the summary lines, the JSON file.

A site's `state` is one of: `ok`, `budget exhausted` (its `max_pages` requests were spent),
`time budget exhausted` (its `max_minutes`), `failed: <reason>`. Only failed sites fail the run.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

MAX_LISTED = 20  # failures listed by name in a site's report


@dataclass
class SiteReport:
    """What happened on one site."""

    site: str
    name: str = ""  # the site's human name (sites.toml, or learned from its home page)
    state: str = "ok"  # ok | budget exhausted | time budget exhausted | failed: <reason>
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
    time_exhausted: bool = False
    failed: str | None = None
    errors_by_kind: dict[str, int] = field(default_factory=dict)  # FetchError.kind, "HTTP 500"
    seconds: float = 0.0
    # Coverage: every page the run saw, by what it is (article, document, listing, empty,
    # alias, gone, file, error, unchanged); articles in the index for the site after the run;
    # links found but not fetched, by reason (budget, depth, disallowed, off-site, file, ...).
    kinds: dict[str, int] = field(default_factory=dict)
    indexed: int = 0
    not_fetched: dict[str, int] = field(default_factory=dict)
    files_found: int = 0  # links to attached files on article and document pages
    # Attached files: fetched, unchanged (304), known (read before, not due), too large,
    # failed, not a file (a 'Tải về' link to a page), off-site, budget (left for a later run).
    files: dict[str, int] = field(default_factory=dict)
    file_failures: list[str] = field(default_factory=list)  # "url: reason", the first few
    ocr: dict[str, int] = field(default_factory=dict)  # the site's OCR pages by state
    ocr_failures: list[str] = field(default_factory=list)  # "file page N: reason", latest

    def saw(self, kind: str) -> None:
        self.kinds[kind] = self.kinds.get(kind, 0) + 1

    def decided(self, kind: str, outcome: str) -> None:
        """Count a decided page by its kind and what it changed (crawl.change outcomes)."""
        self.saw(kind)
        self.listings += kind == "listing"
        self.new += outcome == "new"
        self.changed += outcome == "changed"
        self.not_modified += outcome == "unchanged"
        self.removed += outcome == "removed"

    def error(self, kind: str) -> None:
        """Count a request that failed, by kind ('deadline', 'off-site redirect', 'HTTP 503')."""
        self.errors += 1
        self.errors_by_kind[kind] = self.errors_by_kind.get(kind, 0) + 1

    def file(self, outcome: str, url: str = "", reason: str = "") -> None:
        """Count an attached file by outcome (and remember why it failed)."""
        self.files[outcome] = self.files.get(outcome, 0) + 1
        if reason and len(self.file_failures) < MAX_LISTED:
            self.file_failures.append(f"{url}: {reason}")

    def settle_state(self) -> str:
        """The site's state from what happened (called when its crawl ends)."""
        if self.failed:
            self.state = f"failed: {self.failed}"
        elif self.time_exhausted:
            self.state = "time budget exhausted"
        elif self.budget_exhausted:
            self.state = "budget exhausted"
        else:
            self.state = "ok"
        return self.state

    def coverage(self) -> str:
        """One line: pages by kind, indexed articles, what was left and why."""
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(self.kinds.items(), key=lambda x: -x[1]))
        left = ", ".join(f"{n} {k}" for k, n in sorted(self.not_fetched.items(),
                                                       key=lambda x: -x[1]))
        files = ", ".join(f"{n} {k}" for k, n in sorted(self.files.items(), key=lambda x: -x[1]))
        ocr = ", ".join(f"{n} {k}" for k, n in self.ocr.items() if n)
        named = f" ({self.name})" if self.name and self.name != self.site else ""
        return (f"{self.site}{named} [{self.state}]: {self.requests} requests in "
                f"{self.seconds:.0f}s; pages {kinds or 'none'}; {self.indexed} articles indexed; "
                f"files {files or 'none'}; OCR pages {ocr or 'none'}; "
                f"not fetched: {left or 'none'}")


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
    # The run's OCR pass after fetching: pages done, failed, left; seconds; busy (another
    # `tracuu ocr` held the queue); articles given finished attachment text.
    ocr: dict[str, float] = field(default_factory=dict)
    delivered: int = 0

    @property
    def failed(self) -> bool:
        return any(s.failed for s in self.sites)

    def total(self, name: str) -> int:
        return sum(int(getattr(s, name)) for s in self.sites)

    def files(self, outcome: str) -> int:
        return sum(s.files.get(outcome, 0) for s in self.sites)

    def summary(self) -> str:
        """The one line cron mails: each site's state, counts, time, and where the report is."""
        failed = [f"{s.site} ({s.failed})" for s in self.sites if s.failed]
        head = f"crawl {'FAILED on ' + ', '.join(failed) if failed else 'ok'}"
        ok = sum(s.state == "ok" for s in self.sites)
        others = "".join(f", {s.site}: {s.state}" for s in self.sites
                         if s.state != "ok" and not s.failed)
        ocr = self.ocr
        return (
            f"{head}: {len(self.sites)} site(s), {ok} ok{others}; "
            f"{self.total('requests')} requests "
            f"({self.total('downloaded')} downloaded, {self.total('not_modified')} unchanged, "
            f"{self.total('gone')} gone, {self.total('errors')} errors); articles "
            f"{self.total('new')} new, {self.total('changed')} changed, "
            f"{self.total('removed')} removed; files {self.files('fetched')} fetched, "
            f"{self.files('unchanged')} unchanged, {self.files('too large')} too large, "
            f"{self.files('failed')} failed; OCR {ocr.get('done', 0):.0f} pages done, "
            f"{ocr.get('failed', 0):.0f} failed, {ocr.get('left', 0):.0f} left; "
            f"{self.seconds:.1f}s; report {self.report_path}"
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
