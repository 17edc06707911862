"""Across machines: two Daphne "nodes" behind a real nginx with TLS on loopback, configured by
deploy/nginx_conf.py exactly as a deployment is. Health checks, WebSocket upgrade, least-conn
spreading, the body limit, and a node killed mid-meeting without losing an event."""
import asyncio
import json
import shutil
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from channels.db import database_sync_to_async as sync_to_async
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings

from deploy.nginx_conf import site, standalone
from sessions import services as ss
from tests.conftest import scaled, session_cookie
from tests.servers import DaphneServer, free_port
from tests.test_voting_services import start_meeting
from tests.wsclient import MeetingSocket, meeting_last_seq

pytestmark = [scaled, pytest.mark.django_db(transaction=True),
              pytest.mark.skipif(not shutil.which("nginx"), reason="nginx not installed (bin/install-system-deps)")]


def _self_signed(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=1))
            .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "tls.pem", tmp_path / "tls.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


@pytest.fixture
def cluster(tmp_path):
    nodes = [DaphneServer(BEHIND_TLS_PROXY=1).start(), DaphneServer(BEHIND_TLS_PROXY=1).start()]
    port = free_port()
    cert, key = _self_signed(tmp_path)
    conf = standalone(site(upstreams=[f"127.0.0.1:{n.port}" for n in nodes], listen=f"127.0.0.1:{port}",
                           static_root=str(settings.STATIC_ROOT), cert=cert, key=key), prefix=str(tmp_path))
    (tmp_path / "nginx.conf").write_text(conf)
    proc = subprocess.Popen(["nginx", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    tls = ssl.create_default_context(cafile=cert)
    tls.check_hostname = False
    front = SimpleNamespace(http=f"https://127.0.0.1:{port}", ws=f"wss://127.0.0.1:{port}", tls=tls, nodes=nodes,
                            log=tmp_path / "error.log")
    deadline = time.monotonic() + 10
    while True:
        try:
            urllib.request.urlopen(front.http + "/healthz", timeout=1, context=tls)
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"nginx did not start: {proc.stdout.read() if proc.poll() is not None else ''}")
            time.sleep(0.1)
    yield front
    proc.terminate()
    proc.wait(10)
    for node in nodes:
        node.stop()


def test_health_and_the_body_limit_through_nginx(cluster):
    with urllib.request.urlopen(cluster.http + "/healthz", timeout=5, context=cluster.tls) as r:
        assert r.status == 200 and json.loads(r.read()) == {"status": "ok", "database": "ok", "redis": "ok"}
    # Larger than any upload the app accepts: refused by nginx before it reaches a Daphne process.
    big = urllib.request.Request(cluster.http + "/accounts/login/", data=b"x" * (61 * 1024 * 1024), method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(big, timeout=30, context=cluster.tls)
    assert err.value.code == 413


async def test_tablets_on_both_nodes_follow_the_meeting_and_a_killed_node_loses_nothing(cluster, personas):
    p = personas
    await sync_to_async(start_meeting)(p)
    cookies = [await sync_to_async(session_cookie)(u) for u in p.voters]
    socks = [await MeetingSocket.connect(cluster, c, p.meeting.pk, ssl=cluster.tls) for c in cookies for _ in (0, 1)]

    await sync_to_async(ss.speaker_request)(actor=p.members[0], meeting=p.meeting)
    latest = await meeting_last_seq(p.meeting.pk)
    await asyncio.gather(*(s.wait_seq(latest) for s in socks))

    # Kill one node outright: its tablets lose their socket, the others keep theirs.
    cluster.nodes[0].kill()
    await sync_to_async(ss.speaker_request)(actor=p.members[1], meeting=p.meeting)
    latest = await meeting_last_seq(p.meeting.pk)
    survivors, dropped = [], []
    for s in socks:
        try:
            await s.wait_seq(latest, timeout=8)
            survivors.append(s)
        except Exception:
            dropped.append(s)
    # least_conn spread the 10 sockets over both nodes.
    assert survivors and dropped, (len(survivors), len(dropped))
    # The dropped tablets come back through nginx (to the living node) and resume by replay.
    for s in dropped:
        again = await MeetingSocket.connect(cluster, cookies[socks.index(s) // 2], p.meeting.pk,
                                            hello=False, ssl=cluster.tls)
        again.state, again.seq = s.state, s.seq
        await again.hello(s.seq)
        await again.wait_seq(latest)
        assert again.seq == latest and [e["seq"] for e in again.events] == list(range(s.seq + 1, latest + 1))
        await again.close()
    for s in survivors:
        await s.close()
