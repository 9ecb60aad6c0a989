"""The files of deploy/ pass the tools that read them: systemd-analyze verify and nginx -t."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


@pytest.mark.slow
def test_units_and_nginx_config_pass_their_checkers() -> None:
    missing = [t for t in ("systemd-analyze", "nginx", "openssl") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)} (apt-get install systemd nginx)")
    done = subprocess.run(["sh", str(DEPLOY / "check.sh")], capture_output=True, text=True,
                          check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "systemd-analyze verify: ok (3 units)" in done.stdout
    assert "nginx -t: ok" in done.stdout


def test_units_run_what_the_readme_says() -> None:
    serve = (DEPLOY / "tracuu-serve.service").read_text(encoding="utf-8")
    crawl = (DEPLOY / "tracuu-crawl.service").read_text(encoding="utf-8")
    timer = (DEPLOY / "tracuu-crawl.timer").read_text(encoding="utf-8")
    assert "tracuu serve --host 127.0.0.1 --port 8000 --workers 2" in serve
    assert "User=tracuu" in serve and "User=tracuu" in crawl
    assert "SuccessExitStatus=75" in crawl  # another run holds the lock: not a failure
    assert "Persistent=true" in timer and "OnCalendar=" in timer
    for unit in (serve, crawl):
        assert "NoNewPrivileges=yes" in unit and "ProtectSystem=strict" in unit
