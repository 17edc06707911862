"""The page-image and cleaned-copy caches under VAR_DIR are pruned: entries unused for the given
days, entries of an older cache revision, temporary files of dead writers — and an entry still in
use survives, because each use touches it. Real renders of real stored PDFs."""
import os
import time

import pytest
from django.core.management import call_command

from documents import page_images, served_copy, storage
from tests.documents_helpers import make_pdf

pytestmark = [pytest.mark.smoke]

DAY = 86400


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.VAR_DIR


def _age(path, days):
    at = time.time() - days * DAY
    os.utime(path, (at, at))


def test_unused_old_revisions_and_dead_writers_temp_files_go_and_what_is_used_stays(var_dir, capsys):
    used, unused = storage.put(make_pdf(2)), storage.put(make_pdf(3))
    pages_used = page_images.render_pages(used, 100)
    page_images.render_pages(unused, 100)
    clean_used, clean_unused = served_copy.clean_copy(used), served_copy.clean_copy(unused)
    for sha in (used, unused):
        _age(page_images.cache_dir(sha, 100) / "pages", 40)
    _age(clean_used, 40), _age(clean_unused, 40)
    # Used again today (a viewer opened it): touched, so it stays.
    assert page_images.render_pages(used, 100) == pages_used and served_copy.clean_copy(used) == clean_used
    obsolete = var_dir / "page-images" / used[:2] / used / "100dpi-r1"
    obsolete.mkdir(parents=True)
    (obsolete / "1.png").write_bytes(b"old")
    old_served = clean_used.with_name(f"{used}.r1.pdf")
    old_served.write_bytes(b"old")
    dead_tmp = page_images.cache_dir(used, 100) / ".render-abc.jpg"
    dead_tmp.write_bytes(b"half")
    _age(dead_tmp, 1)
    live_tmp = clean_used.with_name(".clean-xyz")
    live_tmp.write_bytes(b"being written")

    call_command("prune_caches", "--days", "30")

    assert "page_images: 2 removed, served: 2 removed, temporary: 1 removed" in capsys.readouterr().out
    assert all(p.exists() for p in pages_used) and clean_used.exists() and live_tmp.exists()
    assert not page_images.cache_dir(unused, 100).exists() and not clean_unused.exists()
    assert not obsolete.exists() and not old_served.exists() and not dead_tmp.exists()
    assert not (var_dir / "page-images" / unused[:2] / unused).exists()   # no empty folders left
    # A pruned entry is rebuilt on the next use, the same as before.
    again = page_images.render_pages(unused, 100)
    assert len(again) == 3 and all(p.exists() for p in again)


def test_days_below_one_is_refused():
    with pytest.raises(SystemExit) as e:
        call_command("prune_caches", "--days", "0")
    assert e.value.code == 2
