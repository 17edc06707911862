"""The vote-storm benchmark runs end to end at a tiny size (it once rotted unnoticed: its setup broke
when opening a meeting began checking the chair in). Real Daphne, PostgreSQL and Redis."""
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from tests.conftest import scaled

ROOT = Path(__file__).resolve().parent.parent


@scaled
@pytest.mark.django_db
def test_a_small_vote_storm_counts_every_ballot_once_and_the_proofs_verify(tmp_path):
    db = settings.DATABASES["default"]
    pg = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    out = tmp_path / "report.json"
    redis_url = urlsplit(settings.REDIS_URL)._replace(path="/5").geturl()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "vote_storm.py"), "--voters", "30", "--processes", "1",
         "--client-processes", "1", "--db", "mr_bench_votes_smoke", "--pg", pg, "--redis-url", redis_url,
         "--var-dir", str(tmp_path / "var"), "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["acknowledged_ok"] == 30
    assert report["lost"] == 0 and report["duplicated"] == 0
    assert report["tally_proofs_verify"] is True
    assert report["tablets_with_result"] == 30
    assert report["ballots_per_s"] > 0 and report["raw_postgres_ballots_per_s"] > 0
    assert report["server_cpu_ms_per_ballot"] > 0
