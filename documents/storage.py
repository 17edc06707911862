"""Content-addressed private storage: a file lives at PRIVATE_MEDIA_ROOT/documents/ab/cd/<sha256>.pdf.

Never under MEDIA_URL or STATIC_URL: files leave the server only through permission-checked views.
"""
import hashlib
import os
import tempfile
from pathlib import Path

from django.conf import settings


def root() -> Path:
    return Path(settings.PRIVATE_MEDIA_ROOT) / "documents"


def path_for(sha256: str) -> Path:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a sha256 hex digest")
    return root() / sha256[:2] / sha256[2:4] / f"{sha256}.pdf"


def put(data: bytes) -> str:
    """Store bytes under their SHA-256 (idempotent) and return the digest."""
    digest = hashlib.sha256(data).hexdigest()
    target = path_for(digest)
    if target.exists():
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write to a temp file and rename, so a crash never leaves a half file under a valid hash.
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


def read(sha256: str) -> bytes:
    return path_for(sha256).read_bytes()
