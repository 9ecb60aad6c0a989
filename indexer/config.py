"""Settings: one frozen dataclass, read once from the environment (and a TOML file), passed down."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from indexer.errors import ConfigError


@dataclass(frozen=True)
class Settings:
    """Everything a tracuu command or server needs to know."""

    data_dir: Path = Path("data")
    host: str = "127.0.0.1"
    port: int = 8000
    # Origins allowed to call the API from a browser (CORS); empty = same origin only.
    cors_origins: tuple[str, ...] = ()
    # Crawler identity and manners.
    user_agent: str = "tracuu/0.1 (+https://github.com/tracuu/tracuu)"
    contact_url: str = ""
    crawl_delay: float = 1.0
    max_pages: int = 5000  # requests per site and run (sites.toml `max_pages` per site)
    max_minutes: float = 60.0  # minutes per site and run (sites.toml `max_minutes` per site)
    crawl_concurrency: int = 8  # sites (hosts) crawled at once
    crawl_rate: float = 10.0  # requests per second over all sites of a run; 0: no cap
    # Processes for big imports and rebuilds (each holds a Whoosh writer and ~256 MB).
    index_procs: int = field(default_factory=lambda: min(4, os.cpu_count() or 1))
    index_multiprocess_min: int = 2000  # articles in one write before those processes pay off
    index_chunk: int = 50_000  # articles per index commit (bounds an import's memory)
    sites: tuple[Mapping[str, Any], ...] = field(default=())
    # Attachments (PDF, DOC(X), ODT, RTF, XLS(X)) and their OCR.
    attachment_max_bytes: int = 50 * 2**20
    ocr_budget_minutes: float = 10.0  # what each `tracuu crawl` spends on the OCR queue
    ocr_workers: int = 1  # pages OCR'd at once (each a process of up to ocr_memory_mb)
    ocr_dpi: int = 300
    ocr_memory_mb: int = 600
    ocr_page_seconds: float = 180.0
    # The address visitors reach the service at (https://tracuu.example.gov.vn): the embed
    # snippet points there; empty = the page says it is not configured (never the Host header).
    public_url: str = ""
    # Bearer token for POST /admin/*; empty = the admin routes do not exist (404).
    admin_token: str = ""
    # A search running longer is stopped (503 `timeout`): no request holds a worker for long.
    search_seconds: float = 10.0

    @classmethod
    def load(
        cls,
        env: Mapping[str, str] | None = None,
        config_file: str | Path | None = None,
        **overrides: Any,
    ) -> Settings:
        """Defaults, then the TOML file, then TRACUU_* variables, then explicit overrides."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        path = config_file or env.get("TRACUU_CONFIG")
        if path:
            try:
                with open(path, "rb") as f:
                    raw = tomllib.load(f)
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"cannot read config {path}: {exc}") from exc
            sites = raw.pop("site", raw.pop("sites", []))
            values["sites"] = tuple(sites)
            values.update(raw.get("tracuu", raw))
            values.pop("tracuu", None)
        known = {f.name: f for f in fields(cls)}
        for name in known:
            key = f"TRACUU_{name.upper()}"
            if key in env:
                values[name] = env[key]
        values.update({k: v for k, v in overrides.items() if v is not None})
        unknown = set(values) - set(known)
        if unknown:
            raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
        try:
            return replace(cls(), **{k: _coerce(known[k].type, v) for k, v in values.items()})
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"bad setting: {exc}") from exc


def _coerce(kind: Any, value: Any) -> Any:
    kind = str(kind)
    if "Path" in kind:
        return Path(value)
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind.startswith("tuple[str") and isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if kind.startswith("tuple"):
        return tuple(value)
    return value
