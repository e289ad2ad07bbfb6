"""deploy/: the systemd units pass `systemd-analyze verify`; the PM2 file loads in Node."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from killreport.bus.contracts import WORKERS
from killreport.cli.main import COMMANDS
from killreport.scheduler.jobs import JOBS

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
KILLREPORT = str(Path(sys.executable).with_name("killreport"))
# The seed's PM2 apps that are still processes (its cron apps are scheduler jobs now).
SEED_PROCESSES = {
    "killreport-backend",
    "worker-redisq",
    "worker-characters",
    "worker-corporations",
    "worker-alliances",
    "worker-alliance-corporations",
    "worker-types",
    "worker-zkillboard",
}
SEED_CRON_APPS = {
    "queue-alliances",
    "queue-alliance-corporations",
    "queue-character-corporations",
    "queue-characters",
    "snapshot-alliances",
    "snapshot-corporations",
    "update-alliance-counts",
}


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_units_verify(tmp_path: Path) -> None:
    # given the units, pointed at this checkout's killreport instead of /opt/killreport
    units = sorted((DEPLOY / "systemd").glob("*.service"))
    assert units
    paths = []
    for unit in units:
        text = unit.read_text().replace("/opt/killreport/.venv/bin/killreport", KILLREPORT)
        name = unit.name.replace("@.service", "@info-alliances.service")
        (tmp_path / name).write_text(text)
        paths.append(str(tmp_path / name))
    # when systemd-analyze verifies them
    result = subprocess.run(
        ["systemd-analyze", "verify", *paths], capture_output=True, text=True, timeout=120
    )
    # then it finds nothing wrong with them
    problems = [
        line for line in result.stderr.splitlines() if tmp_path.name in line or "killreport" in line
    ]
    assert result.returncode == 0, result.stderr
    assert problems == []


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
def test_pm2_file_loads_in_node_and_names_the_seed_processes() -> None:
    # given the ecosystem file, loaded as PM2 loads it
    script = "console.log(JSON.stringify(require('./deploy/ecosystem.config.js').apps))"
    result = subprocess.run(
        ["node", "-e", script], cwd=DEPLOY.parent, capture_output=True, timeout=60, check=True
    )
    apps = orjson.loads(result.stdout)
    # then it names the seed's processes, each a killreport command that exists
    assert {app["name"] for app in apps} >= SEED_PROCESSES
    commands = {name for name, _, _ in COMMANDS}
    for app in apps:
        words = app["args"].split()
        assert words[0] in commands, app
        if words[0] == "worker":
            assert words[1] in WORKERS, app
    # and the seed's cron apps are the scheduler's jobs
    assert "killreport-scheduler" in {app["name"] for app in apps}
    assert {job.name for job in JOBS} >= SEED_CRON_APPS
