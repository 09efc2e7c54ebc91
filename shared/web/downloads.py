"""The `Content-Disposition` header of every file the back-office and the public pages send."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\;/]+')
_NOT_ASCII_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """A header no file name can break: control characters (CR, LF), quotes, `;`, `\\` and
    `/` removed, an ASCII `filename` for old clients and the UTF-8 name as RFC 5987
    `filename*`."""
    name = _UNSAFE.sub("_", unicodedata.normalize("NFC", filename)).strip(" ._") or "fichier"
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = _NOT_ASCII_NAME.sub("_", ascii_name).strip("._") or "fichier"
    header = f'{disposition}; filename="{ascii_name}"'
    if ascii_name != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header


def attachment(filename: str) -> dict[str, str]:
    """Headers of a file to save."""
    return {"Content-Disposition": content_disposition(filename)}


def inline(filename: str) -> dict[str, str]:
    """Headers of a file to show in the browser (a PDF), saved under `filename`."""
    return {"Content-Disposition": content_disposition(filename, "inline")}
