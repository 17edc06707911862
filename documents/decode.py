"""How big a PDF stream becomes once decoded, counted chunk by chunk so a bomb never inflates.

Only the general-purpose filters (Flate, LZW, RunLength, ASCIIHex, ASCII85) are decoded here; an
image codec at the end of the chain (DCT, JPX, JBIG2, CCITT) stops the count, its output being
bounded by the image's pixel count instead (image_pixels).
"""
import base64
import binascii
import re
import zlib
from collections.abc import Iterator

from pikepdf import Array, Stream

CHUNK = 1 << 20
ALIASES = {"/Fl": "/FlateDecode", "/LZW": "/LZWDecode", "/AHx": "/ASCIIHexDecode", "/A85": "/ASCII85Decode",
           "/RL": "/RunLengthDecode", "/DCT": "/DCTDecode", "/CCF": "/CCITTFaxDecode"}
# JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic variants).
SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


class Bomb(Exception):
    """The stream decodes to more than the budget left."""


def _flate(data: bytes) -> Iterator[bytes]:
    d = zlib.decompressobj()
    tail = data
    try:
        while True:
            out = d.decompress(tail, CHUNK)
            tail = d.unconsumed_tail
            yield out
            if d.eof or (not tail and len(out) < CHUNK):
                return
    except zlib.error:
        return  # readers show what decoded before the damage; so do we


def _lzw(data: bytes) -> Iterator[bytes]:
    table = [bytes([i]) for i in range(256)] + [b"", b""]
    bits = nbits = 0
    width, prev, out = 9, None, bytearray()
    for byte in data:
        bits, nbits = (bits << 8) | byte, nbits + 8
        while nbits >= width:
            nbits -= width
            code, bits = bits >> nbits, bits & ((1 << nbits) - 1)
            if code == 256:
                table, width, prev = table[:258], 9, None
                continue
            if code == 257:
                yield bytes(out)
                return
            if code < len(table):
                entry = table[code]
            elif code == len(table) and prev is not None:
                entry = prev + prev[:1]
            else:
                yield bytes(out)
                return
            out += entry
            if prev is not None and len(table) < 4096:
                table.append(prev + entry[:1])
            prev = entry
            if len(table) + 1 >= (1 << width) and width < 12:  # EarlyChange 1, the PDF default
                width += 1
            if len(out) >= CHUNK:
                yield bytes(out)
                out.clear()
    yield bytes(out)


def _run_length(data: bytes) -> Iterator[bytes]:
    i, out = 0, bytearray()
    while i < len(data):
        n = data[i]
        if n == 128:
            break
        if n < 128:
            out += data[i + 1:i + n + 2]
            i += n + 2
        else:
            out += data[i + 1:i + 2] * (257 - n)
            i += 2
        if len(out) >= CHUNK:
            yield bytes(out)
            out.clear()
    yield bytes(out)


def _ascii_hex(data: bytes) -> Iterator[bytes]:
    digits = re.sub(rb"[^0-9A-Fa-f]", b"", data.split(b">")[0])
    yield binascii.unhexlify(digits + b"0" * (len(digits) % 2))


def _ascii85(data: bytes) -> Iterator[bytes]:
    body = re.sub(rb"\s", b"", data.split(b"~>")[0])
    try:
        yield base64.a85decode(body)
    except ValueError:
        return


DECODERS = {"/FlateDecode": _flate, "/LZWDecode": _lzw, "/RunLengthDecode": _run_length,
            "/ASCIIHexDecode": _ascii_hex, "/ASCII85Decode": _ascii85}


def filters(stream: Stream) -> list[str]:
    f = stream.get("/Filter")
    if f is None:
        return []
    return [ALIASES.get(str(x), str(x)) for x in (f if isinstance(f, Array) else [f])]


def decoded_size(stream: Stream, budget: int) -> int:
    """Bytes after the general-purpose filters; Bomb as soon as that passes `budget`."""
    data = stream.read_raw_bytes()
    chain = []
    for name in filters(stream):
        if name not in DECODERS:
            break
        chain.append(DECODERS[name])
    if len(data) > budget:
        raise Bomb()
    for i, decode in enumerate(chain):
        last = i == len(chain) - 1
        size, parts = 0, []
        for part in decode(data):
            size += len(part)
            if size > budget:
                raise Bomb()
            if not last:
                parts.append(part)
        if last:
            return size
        data = b"".join(parts)
    return len(data)


def _jpeg_pixels(data: bytes) -> int:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker == 0xFF or marker == 0x01 or 0xD0 <= marker <= 0xD8:
            i += 1 if marker == 0xFF else 2
            continue
        if marker in SOF_MARKERS:
            return int.from_bytes(data[i + 5:i + 7], "big") * int.from_bytes(data[i + 7:i + 9], "big")
        i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
    return 0


def image_pixels(stream: Stream) -> int:
    """Pixels an image XObject asks a viewer to allocate: its declared size, or its JPEG header's."""
    if str(stream.get("/Subtype", "")) != "/Image":
        return 0
    try:
        declared = abs(int(stream.get("/Width", 0))) * abs(int(stream.get("/Height", 0)))
    except (TypeError, ValueError):
        declared = 0
    chain = filters(stream)
    if chain[:1] == ["/DCTDecode"]:
        return max(declared, _jpeg_pixels(stream.read_raw_bytes()[:65536]))
    return declared
