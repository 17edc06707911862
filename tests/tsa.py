"""A real RFC 3161 time-stamping authority over HTTP on loopback, for the tests.

Its own root CA and a TSA certificate (extended key usage timeStamping, critical); tokens are
made by pyHanko's DummyTimeStamper (a full TSA minus policy and accuracy options). `requests`
counts the requests served, so a test can tell the signer really called it.
"""
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import keys, tsp, x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper


def _cert(subject, issuer, public_key, signing_key, *, ca: bool, eku=None):
    now = datetime.now(timezone.utc)
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=True)
    return builder.sign(signing_key, hashes.SHA256())


class LocalTSA:
    def __init__(self):
        root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA Root")])
        tsa_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA")])
        root = _cert(root_name, root_name, root_key.public_key(), root_key, ca=True)
        tsa = _cert(tsa_name, root_name, tsa_key.public_key(), root_key, ca=False,
                    eku=[ExtendedKeyUsageOID.TIME_STAMPING])
        self.root_pem = root.public_bytes(serialization.Encoding.PEM).decode()
        der = serialization.Encoding.DER
        self._stamper = DummyTimeStamper(
            tsa_cert=asn1_x509.Certificate.load(tsa.public_bytes(der)),
            tsa_key=keys.PrivateKeyInfo.load(tsa_key.private_bytes(
                der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
            certs_to_embed=[asn1_x509.Certificate.load(root.public_bytes(der))],
        )
        self.requests = 0
        self.refuse = False
        tsa_self = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if tsa_self.refuse:
                    self.send_error(503)
                    return
                tsa_self.requests += 1
                response = tsa_self._stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(response)))
                self.end_headers()
                self.wfile.write(response)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/tsa"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self):
        self._server.shutdown()
        self._server.server_close()
