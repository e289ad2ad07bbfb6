"""`killreport up --sim`: the whole system against an in-process simulator; killmails flow."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import orjson

from tests.e2e.test_up import free_port

KILLREPORT = str(Path(sys.executable).with_name("killreport"))


def _killmails(url: str) -> int:
    connection = sqlite3.connect(url.split("///", 1)[1], timeout=10)
    try:
        return int(connection.execute("SELECT count(*) FROM killmails").fetchone()[0])
    except sqlite3.OperationalError:  # not migrated yet
        return 0
    finally:
        connection.close()


def test_up_sim_shows_killmails_flowing_and_status_reports_them(
    sqlite_url: str, tmp_path: Path
) -> None:
    # given an empty database and `killreport up --sim` on a tiny universe
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KILLREPORT_")},
        "KILLREPORT_DATABASE_URL": sqlite_url,
        "KILLREPORT_DATA_DIR": str(tmp_path),
        "KILLREPORT_LOG_LEVEL": "WARNING",
        "KILLREPORT_R2Z2_MIN_INTERVAL_S": "0",
    }
    command = [KILLREPORT, "up", "--sim", "--sim-universe", "tiny", "--sim-rate", "5"]
    log = tmp_path / "up.log"
    errors = log.open("w")
    up = subprocess.Popen(
        [*command, "--port", str(free_port())],
        env=env,
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
    )
    try:
        assert up.stdout is not None
        banner = up.stdout.readline()
        found = re.search(r"simulator at (http://\S+) \(tiny universe\)", banner)
        assert found, f"{banner!r}; stderr: {log.read_text()[-2000:]}"
        # when killmails are published, then the feed stores them
        deadline = time.monotonic() + 60
        while _killmails(sqlite_url) < 3:
            assert up.poll() is None, "killreport up exited"
            assert time.monotonic() < deadline, "no killmails flowed in time"
            time.sleep(0.2)
        # and `killreport status`, told nothing of the simulator, reports the totals and
        # the feed's lag from where `up --sim` recorded its feed reads
        status = subprocess.run(
            [KILLREPORT, "status", "--json"], env=env, capture_output=True, check=True, timeout=60
        )
        feed = orjson.loads(status.stdout)["killmail feed"]
        assert feed["r2z2_source"] == found.group(1) + "/r2z2"
        assert feed["killmails"] >= 3
        assert feed["last_sequence"] == feed["killmails"]
        assert isinstance(feed["r2z2_cursor"], int)
        assert isinstance(feed["r2z2_lag_entries"], int) and feed["r2z2_lag_entries"] >= 0
        assert 0 <= feed["last_ingest_age_s"] < 60
    finally:
        # A graceful stop lets in-flight entity fetches finish; that is not this test's subject.
        up.send_signal(signal.SIGTERM)
        try:
            up.wait(timeout=5)
        except subprocess.TimeoutExpired:
            up.kill()
            up.wait()
        errors.close()
