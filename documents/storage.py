"""Content-addressed private storage: a file is named documents/ab/cd/<sha256>.pdf in the private
store (meetingroom/blobstore.py: PRIVATE_MEDIA_ROOT on disk, or the bucket at STORAGE_URL).

Never under MEDIA_URL or STATIC_URL: files leave the server only through permission-checked views.
"""
import hashlib
from pathlib import Path

from django.conf import settings

from meetingroom import blobstore


def name_for(sha256: str) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a sha256 hex digest")
    return f"documents/{sha256[:2]}/{sha256[2:4]}/{sha256}.pdf"


def path_for(sha256: str) -> Path:
    """Where the file lies with the local-disk backend (tests and tools that inspect the disk)."""
    return Path(settings.PRIVATE_MEDIA_ROOT) / name_for(sha256)


def put(data: bytes) -> str:
    """Store bytes under their SHA-256 (idempotent) and return the digest."""
    digest = hashlib.sha256(data).hexdigest()
    name = name_for(digest)
    if not blobstore.exists(name):
        blobstore.put(name, data)
    return digest


def read(sha256: str) -> bytes:
    return blobstore.get(name_for(sha256))


def exists(sha256: str) -> bool:
    return blobstore.exists(name_for(sha256))
