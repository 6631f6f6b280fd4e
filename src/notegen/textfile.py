"""Text files the person owns (notes, prompts, notegen.toml, dendron.yml, manifests), read whatever their editor
saved: UTF-8 with or without a byte-order mark, UTF-16 with one (Notepad's "Unicode"), or GB18030 (GBK's superset,
the ANSI code page of Chinese Windows). Line endings are kept as they are.

The encoding comes back with the text, so that a note notegen adds to is written in the encoding, and with the
byte-order mark, it was read in: every byte notegen did not write is the person's. All three round-trip exactly
(what strict decoding accepts encodes back to the same bytes).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

from notegen.errors import UsageError


@dataclass(frozen=True)
class Encoding:
    codec: str  # Python's name: utf-8, utf-16-le, utf-16-be, gb18030
    bom: bool = False

    def encode(self, text: str) -> bytes:
        """`text` as a file in this encoding, the byte-order mark first when the file had one."""
        return (_BOMS[self.codec] if self.bom else b"") + text.encode(self.codec)


UTF8 = Encoding("utf-8")

_BOMS = {"utf-8": codecs.BOM_UTF8, "utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}
# GB18030 decodes nearly any byte string, so it is only tried once UTF-8 has failed, and never taken for bytes
# no text file has: NUL and the other C0 controls but tab, line feed, vertical tab, form feed and carriage return.
_NOT_TEXT = re.compile(rb"[\x00-\x08\x0e-\x1f]")


class NotText(UsageError):
    """A file that is not UTF-8, UTF-16 or GB18030 text; `offset` is its first byte that is not, on `line`."""

    def __init__(self, path: str, offset: int, line: int) -> None:
        super().__init__(
            "not UTF-8, UTF-16 or GB18030 text", path=path, line=line, detail=f"byte {offset}", hint="save it as UTF-8"
        )
        self.offset = offset


def read_text(path: Path) -> tuple[str, Encoding]:
    """The file's text, exactly (no line endings changed, no byte-order mark), and the encoding it was in.

    Raises NotText naming the file and the fix when it is in none of those encodings; OSError as open() does.
    """
    return decode(path.read_bytes(), str(path))


def decode(data: bytes, name: str) -> tuple[str, Encoding]:
    """`data` as text (see read_text); `name` is the file's, for the error."""
    for codec, bom in _BOMS.items():
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError as err:
                raise _not_text(data, name, len(bom) + err.start) from None
            nul = text.find("\0") if codec != "utf-8" else -1  # UTF-32 starts as UTF-16 LE does
            if nul >= 0:
                raise _not_text(data, name, len(bom) + len(text[:nul].encode(codec)))
            return text, Encoding(codec, bom=True)
    try:
        return data.decode("utf-8"), UTF8
    except UnicodeDecodeError as err:
        first_bad = err.start
    if _NOT_TEXT.search(data) is None:
        try:
            return data.decode("gb18030"), Encoding("gb18030")
        except UnicodeDecodeError:
            pass
    raise _not_text(data, name, first_bad)


def _not_text(data: bytes, name: str, offset: int) -> NotText:
    return NotText(name, offset, data[:offset].count(b"\n") + 1)
