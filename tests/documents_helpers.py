"""Small real PDFs for document tests (made with pypdf, read back with pypdf/pdftotext)."""
import io
import subprocess
import tempfile

from pypdf import PdfReader, PdfWriter


def make_pdf(pages: int = 3, size=(595, 842), encrypt: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(*size)
    if encrypt:
        writer.encrypt(encrypt)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def page_texts(data: bytes) -> list[str]:
    """Text of every page as pdftotext (poppler) extracts it."""
    n = len(PdfReader(io.BytesIO(data)).pages)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        return [subprocess.run(["pdftotext", "-f", str(i), "-l", str(i), f.name, "-"], check=True,
                               capture_output=True, text=True).stdout for i in range(1, n + 1)]
