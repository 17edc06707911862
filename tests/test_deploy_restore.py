"""Backups restore: deploy/backup.sh then deploy/restore.sh into an empty database and directory,
checked by a real Daphne serving the restored record — the signed minutes byte for byte, a
document, the audit chain intact."""
import os
import subprocess
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from documents import services as documents_services
from tests.conftest import scaled, session_cookie
from tests.documents_helpers import make_pdf
from tests.servers import ROOT, DaphneServer
from tests.test_minutes_support import hold_meeting, sign_both

pytestmark = [scaled, pytest.mark.django_db(transaction=True)]


def _url(name: str) -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _run(cmd, **env):
    result = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_a_backup_restores_into_a_working_system(personas, tmp_path):
    doc = documents_services.document_upload(actor=personas.secretary, meeting=personas.meeting, data=make_pdf(2),
                                             original_name="bao-cao.pdf", title="Báo cáo")
    hold_meeting(personas)
    minutes = sign_both(personas)
    cookie = session_cookie(personas.member)   # sessions are in the database: restored too
    original_pdf = (Path(settings.PRIVATE_MEDIA_ROOT) / minutes.pdf_path).read_bytes()

    backup = tmp_path / "backup"
    _run(["deploy/backup.sh", str(backup)], DATABASE_URL=_url(connection.settings_dict["NAME"]),
         PRIVATE_MEDIA_ROOT=str(settings.PRIVATE_MEDIA_ROOT))
    restored_db = f"{connection.settings_dict['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{restored_db}"')
        cursor.execute(f'CREATE DATABASE "{restored_db}"')
    restored_files = tmp_path / "restored-private"
    env = {"DATABASE_URL": _url(restored_db), "PRIVATE_MEDIA_ROOT": str(restored_files),
           "APP_KEY_FILE": str(settings.APP_KEY_FILE), "AUDIT_ANCHOR_FILE": str(settings.AUDIT_ANCHOR_FILE),
           "PYTHON": os.sys.executable, "DATABASE_POOL": "0"}
    try:
        out = _run(["deploy/restore.sh", str(backup)], **env)
        assert "Audit chain intact" in out
        node = DaphneServer(**{k: v for k, v in env.items() if k != "PYTHON"}).start()
        try:
            def get(path):
                request = urllib.request.Request(node.http + path, headers={"Cookie": f"sessionid={cookie}"})
                with urllib.request.urlopen(request, timeout=30) as r:
                    return r.read()

            assert get(f"/meetings/{personas.meeting.pk}/minutes/bien-ban.pdf") == original_pdf
            assert get(f"/documents/{doc.pk}/view").startswith(b"%PDF")
            verify_page = get(f"/meetings/{personas.meeting.pk}/minutes/verify/").decode()
            assert verify_page.count("Chữ ký hợp lệ, nội dung nguyên vẹn") == 2
        finally:
            node.stop()
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{restored_db}" WITH (FORCE)')
    # A damaged backup is refused before anything is restored.
    (backup / "db.dump").write_bytes(b"not a dump")
    broken = subprocess.run(["deploy/restore.sh", str(backup)], cwd=ROOT, env={**os.environ, **env},
                            capture_output=True, text=True)
    assert broken.returncode != 0 and "FAILED" in (broken.stdout + broken.stderr)
