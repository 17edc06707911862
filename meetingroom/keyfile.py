"""The application's own key: 32 random bytes in a file outside the database and its backups.

Subkeys for separate purposes (secret-ballot key wrapping and MACs, the audit chain's HMAC) are
derived from it by label, so one file to protect and back up, and no purpose can be confused
with another. Created 0600 on first use; every app server must have the same file.
"""
import base64
import hashlib
import hmac
import os
from pathlib import Path

from django.conf import settings


class KeyUnavailable(Exception):
    """The key file is missing, unreadable or malformed."""


_cache: dict = {}


def _path() -> Path:
    return Path(settings.APP_KEY_FILE)


def _read_or_create() -> bytes:
    path = _path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first: read theirs
        else:
            with os.fdopen(fd, "w") as f:
                f.write(base64.b64encode(os.urandom(32)).decode() + "\n")
    try:
        key = base64.b64decode(path.read_text().strip(), validate=True)
    except (OSError, ValueError) as exc:
        raise KeyUnavailable(f"cannot read the key file {path}: {exc}") from None
    if len(key) != 32:
        raise KeyUnavailable(f"the key file {path} does not hold a 32-byte key")
    return key


def subkey(label: bytes) -> bytes:
    """A 32-byte key for one purpose. Cached per file state: a replaced file takes effect at once."""
    path = _path()
    try:
        st = path.stat()
        state = (str(path), st.st_mtime_ns, st.st_size, st.st_ino)
    except OSError:
        state = None
    key = _cache.get(state) if state else None
    if key is None:
        key = _read_or_create()
        if state:
            _cache.clear()
            _cache[state] = key
    return hmac.new(key, b"meetingroom/" + label, hashlib.sha256).digest()
