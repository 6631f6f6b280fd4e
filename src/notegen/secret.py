"""The API key: checked before it is used, and scrubbed from everything notegen writes or prints.

The key can reach text by routes nobody planned: an endpoint that echoes the Authorization header into its
answer (which becomes a review line, a cache entry, a backup), a library's debug log, an error message. So every
file notegen writes (storage.write_atomic) and every line it prints goes through `scrub`, which knows the key in
the forms it takes when escaped: JSON, Python's repr, URL encoding.
"""

from __future__ import annotations

import json
import threading
import unicodedata
from urllib.parse import quote, quote_plus

MASK = "***"
_MIN_LENGTH = 8  # shorter "keys" (test placeholders) would mask ordinary words
_forms: list[str] = []
_lock = threading.Lock()


def register(key: str | None) -> None:
    """Remember a key (and its escaped forms) to scrub from everything written or printed."""
    if not key or len(key.strip()) < _MIN_LENGTH:
        return
    found = {key, key.strip()}
    for form in list(found):
        found |= {
            json.dumps(form)[1:-1],
            json.dumps(form, ensure_ascii=False)[1:-1],
            repr(form)[1:-1],
            form.encode("unicode_escape").decode("ascii"),
            quote(form, safe=""),
            quote_plus(form, safe=""),
        }
    found |= {json.dumps(form)[1:-1] for form in list(found)}  # escaped twice: JSON quoted inside JSON
    with _lock:
        _forms.extend(f for f in found if len(f) >= _MIN_LENGTH and f not in _forms)
        _forms.sort(key=len, reverse=True)  # the longest form first, so no shorter one leaves a tail behind


def scrub(text: str) -> str:
    for form in _forms:
        if form in text:
            text = text.replace(form, MASK)
    return text


def scrub_bytes(data: bytes) -> bytes:
    for form in _forms:
        encoded = form.encode("utf-8")
        if encoded in data:
            data = data.replace(encoded, MASK.encode())
    return data


def problem(key: str) -> str | None:
    """Why a key as read from the environment cannot be a key, in words the person can act on; or None."""
    for char in key:
        if char in "\r\n":
            return "contains a line break (pasted with the end of a line?)"
        if char.isspace():
            return "contains a space"
        if not char.isascii() or not char.isprintable():
            name = unicodedata.name(char, "a control character")
            return f"contains U+{ord(char):04X} ({name.lower()}), which is not part of a key (copied from a web page?)"
    return None
