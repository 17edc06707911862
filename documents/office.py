"""Office files (.docx, .odt, .xlsx, .pptx, .doc…) to PDF with headless LibreOffice.

Each conversion runs in its own process group with a timeout, a throw-away profile (macros off,
no fetching of linked content) and, where the kernel lets us, no network at all (`unshare --net`;
as root, or in an unprivileged user namespace). The result goes through the same PDF checks as
an uploaded PDF. Synchronous in the request for now; a later issue moves `convert_to_pdf` onto a
task queue (docs/decisions-documents.md).
"""
import functools
import logging
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from django.utils.translation import gettext as _

from sessions.errors import Invalid

log = logging.getLogger(__name__)

# Seeded into every fresh profile: no macro ever runs, links to outside content are not followed.
PROFILE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
</oor:items>
"""


def office_converter() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@functools.cache
def network_jail() -> list[str]:
    """The prefix that runs a command without network, or [] when this machine cannot."""
    unshare = shutil.which("unshare")
    if unshare is None:
        log.warning("unshare not found: office conversion runs with the server's network")
        return []
    for prefix in ([unshare, "--net"], [unshare, "--user", "--map-root-user", "--net"]):
        try:
            if subprocess.run([*prefix, "true"], capture_output=True, timeout=10).returncode == 0:
                return prefix
        except (OSError, subprocess.TimeoutExpired):
            continue
    log.warning("no network namespace available: office conversion runs with the server's network")
    return []


def _failed() -> Invalid:
    return Invalid(_("Không chuyển được tệp sang PDF: tệp bị hỏng hoặc không phải tệp văn phòng hợp lệ. "
                     "Hãy mở tệp bằng phần mềm soạn thảo, lưu lại hoặc xuất ra PDF rồi tải lên."), field="file")


def convert_to_pdf(data: bytes, kind: str, *, timeout: int) -> bytes:
    converter = office_converter()
    if converter is None:
        raise Invalid(_("Máy chủ chưa cài LibreOffice nên không chuyển được tệp văn phòng (%(kind)s) sang PDF. "
                        "Hãy lưu tệp dưới dạng PDF rồi tải lên.") % {"kind": kind.upper()}, field="file")
    with tempfile.TemporaryDirectory(prefix="mr-office-") as tmp:
        work = Path(tmp)
        (work / "profile" / "user").mkdir(parents=True)
        (work / "profile" / "user" / "registrymodifications.xcu").write_text(PROFILE_SETTINGS)
        (work / "out").mkdir()
        src = work / f"input.{kind}"
        src.write_bytes(data)
        cmd = [*network_jail(), converter, f"-env:UserInstallation={(work / 'profile').as_uri()}",
               "--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
               "--convert-to", "pdf", "--outdir", str(work / "out"), str(src)]
        env = {"HOME": tmp, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TMPDIR": tmp}
        # Own process group: on timeout the whole tree goes (soffice is a script starting soffice.bin).
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp,
                                start_new_session=True)
        try:
            _out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise Invalid(_("Chuyển tệp sang PDF quá %(s)s giây nên đã dừng. Hãy xuất tệp ra PDF rồi tải lên.")
                          % {"s": timeout}, field="file") from None
        finally:
            _kill_group(proc.pid)
        out = work / "out" / "input.pdf"
        if proc.returncode != 0 or not out.exists() or out.stat().st_size == 0:
            log.info("office conversion failed (rc=%s): %s", proc.returncode, err[-500:])
            raise _failed()
        return out.read_bytes()


def _kill_group(pgid: int) -> None:
    """A converter child left behind (e.g. a crash handler) must not outlive the request."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
