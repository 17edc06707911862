"""Pruning the local caches of stored files: page images (page_images.py) and cleaned copies
(served_copy.py) under VAR_DIR.

Both are rebuilt from the stored file on demand, so pruning only costs a later re-render. Each use
touches its entry, so age means "unused for": `prune` removes entries unused for `days`, entries of
an older cache revision (never used again once the revision was bumped) and temporary files that a
crashed writer left behind. Run by the release step of every deploy (Procfile) and by hand.
"""
import os
import shutil
import time
from pathlib import Path

from django.conf import settings

TEMP_GRACE_SECONDS = 3600   # a writer's temp file older than this belongs to a process that died


def touch(path: Path) -> None:
    """Mark an entry used now (its age is what prune reads)."""
    try:
        os.utime(path)
    except OSError:   # pruned meanwhile, or a read-only disk: the entry is still served this time
        pass


def _old(path: Path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime < cutoff
    except FileNotFoundError:
        return False


def prune(days: int = 30) -> dict[str, int]:
    """Remove what is unused for `days`, of older revisions, or left by dead writers; counts by kind."""
    from documents import page_images, served_copy   # they touch entries through this module

    now = time.time()
    cutoff, temp_cutoff = now - days * 86400, now - TEMP_GRACE_SECONDS
    counts = {"page_images": 0, "served": 0, "temporary": 0}
    root = Path(settings.VAR_DIR)
    current = f"-r{page_images.CACHE_REVISION}"
    for folder in sorted((root / "page-images").glob("??/*/*dpi-r*")):
        marker = folder / "pages"
        unused = _old(marker, cutoff) if marker.exists() else _old(folder, cutoff)
        if not folder.name.endswith(current) or unused:
            shutil.rmtree(folder, ignore_errors=True)
            counts["page_images"] += 1
        else:
            counts["temporary"] += _remove_temporary(folder, temp_cutoff)
    served_suffix = f".r{served_copy.CLEAN_REVISION}.pdf"
    for f in sorted((root / "served").glob("??/*")):
        if f.name.startswith(".clean-"):
            if _old(f, temp_cutoff):
                f.unlink(missing_ok=True)
                counts["temporary"] += 1
        elif not f.name.endswith(served_suffix) or _old(f, cutoff):
            f.unlink(missing_ok=True)
            counts["served"] += 1
    for empty in sorted((root / "page-images").glob("??/*"), reverse=True):
        if empty.is_dir() and not any(empty.iterdir()):
            empty.rmdir()
    return counts


def _remove_temporary(folder: Path, cutoff: float) -> int:
    removed = 0
    for tmp in folder.glob(".*"):
        if _old(tmp, cutoff):
            tmp.unlink(missing_ok=True)
            removed += 1
    return removed
