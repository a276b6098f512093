"""``make demo`` keeps working: the whole walkthrough on a small residents table."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.server import free_port

pytestmark = [pytest.mark.server, pytest.mark.ray, pytest.mark.slow]  # the demo starts a local Ray


def test_demo_walks_through_every_role(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    env.update(SANDBOX_DEMO_ROWS="20000", SANDBOX_DEMO_EXIT="1",
               SANDBOX_DEMO_PORT=str(free_port()), COLUMNS="120")
    result = subprocess.run([sys.executable, "-m", "sandbox.demo"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    for expected in ("registered city_residents", "data dictionary", "quality report",
                     "synthetic preview", "download by researcher refused",
                     "download by provider (its owner) refused", "downloaded district_facilities",
                     "grant grant-", "submitted DP job", "submitted raw-access job",
                     "pending_review", "output checks of job", "approved job", "rejected job",
                     "downloaded job", "the rejected result stays out of reach",
                     "audit verify passes", "Try next"):
        assert expected in out, expected
    assert "Traceback" not in out + result.stderr
    assert (tmp_path / "var" / "demo" / "tokens.env").exists()
