"""Private files — uploaded documents, signed minutes — in one place with two backends.

* Local disk under PRIVATE_MEDIA_ROOT (the embedded default): written to a temporary file and
  renamed, so a crash never leaves half a file under a valid name.
* An S3-compatible bucket when STORAGE_URL is set (`s3://KEY:SECRET@host:port/bucket`, `s3s://`
  for HTTPS), through django-storages: app machines then share files without a shared disk.
Names are relative paths ("documents/ab/cd/<sha256>.pdf", "minutes/12/bien-ban-12.pdf"). Files
leave the server only through permission-checked views; nothing here makes a public URL.
"""
import functools
import os
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings


class _Disk:
    def __init__(self, root: Path):
        self.root = root

    def path(self, name: str) -> Path:
        return self.root / name

    def put(self, name: str, data: bytes) -> None:
        target = self.path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".write-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, name: str) -> bytes:
        return self.path(name).read_bytes()

    def exists(self, name: str) -> bool:
        return self.path(name).exists()


class _Bucket:
    def __init__(self, url: str):
        from storages.backends.s3 import S3Storage

        parts = urlsplit(url)
        scheme = "https" if parts.scheme == "s3s" else "http"
        self.storage = S3Storage(
            bucket_name=parts.path.strip("/"), endpoint_url=f"{scheme}://{parts.hostname}:{parts.port or 443}",
            access_key=unquote(parts.username or ""), secret_key=unquote(parts.password or ""),
            region_name="us-east-1", file_overwrite=True, default_acl=None, querystring_auth=True,
            addressing_style="path",
        )

    def put(self, name: str, data: bytes) -> None:
        from django.core.files.base import ContentFile

        self.storage.save(name, ContentFile(data))  # one PUT: atomic for readers

    def get(self, name: str) -> bytes:
        with self.storage.open(name, "rb") as f:
            return f.read()

    def exists(self, name: str) -> bool:
        return self.storage.exists(name)


@functools.cache
def _backend(url: str, root: str):
    return _Bucket(url) if url else _Disk(Path(root))


def backend():
    # Keyed on the settings, so tests that change them get the matching backend.
    return _backend(settings.STORAGE_URL, str(settings.PRIVATE_MEDIA_ROOT))


def put(name: str, data: bytes) -> None:
    backend().put(name, data)


def get(name: str) -> bytes:
    return backend().get(name)


def exists(name: str) -> bool:
    return backend().exists(name)
