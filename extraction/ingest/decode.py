"""Bytes → str for text-like inputs: UTF-8 (BOM or not), UTF-16 (BOM), GB18030/GBK, or whatever
charset-normalizer finds."""
from __future__ import annotations


class DecodeError(ValueError):
    """The bytes are not text in any encoding we can trust."""


def looks_binary(data: bytes) -> bool:
    head = data[:4096]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return len(head) > 0 and controls / len(head) > 0.05


def decode_text(data: bytes, partial: bool = False) -> str:
    """The text of `data`. `partial`: `data` is a prefix of a file (sniffing), so a multi-byte
    character cut at the end is dropped rather than taken for a wrong encoding."""
    errors = "ignore" if partial else "strict"
    if not data.strip():
        raise DecodeError("the file is empty")
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            return _tail_safe(data[3:], "utf-8", partial)
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            body = data[: len(data) - len(data) % 2] if partial else data
            return body.decode("utf-16", errors=errors)
    except UnicodeDecodeError as exc:
        raise DecodeError(f"the text is not valid {exc.encoding}") from None
    if looks_binary(data):
        raise DecodeError("the file is binary, not text")
    for encoding in ("utf-8", "gb18030"):
        try:
            return _tail_safe(data, encoding, partial)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise DecodeError("the text encoding could not be determined")
    return str(best)


def _tail_safe(data: bytes, encoding: str, partial: bool) -> str:
    if not partial:
        return data.decode(encoding)
    for cut in range(4):  # a character split by the prefix's end
        try:
            return data[: len(data) - cut].decode(encoding)
        except UnicodeDecodeError:
            if cut == 3 or len(data) <= cut:
                raise
    raise AssertionError  # pragma: no cover
