"""Bytes of a page or feed -> text, the way browsers do it (pure).

Byte-order mark first, then the ``Content-Type`` charset, then the page's own ``<meta>`` or
XML declaration, then UTF-8, then charset sniffing; labels are mapped the WHATWG way
(a page labelled Latin-1 is decoded as windows-1252, as every browser does).
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""")
#: Per WHATWG, pages labelled Latin-1 or ASCII are decoded as windows-1252.
_WHATWG_ALIASES = {"iso8859-1": "cp1252", "latin-1": "cp1252", "ascii": "cp1252"}


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        canonical = codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None
    return _WHATWG_ALIASES.get(canonical, canonical)


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = re.search(r"charset\s*=\s*([^\s;]+)", content_type, re.I)
    return match.group(1) if match else None


def decode_body(content: bytes, content_type: str | None) -> tuple[str, str]:
    """Decode a body: BOM, header charset, ``<meta>``/XML declaration, then sniffing."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16")):
        if content.startswith(bom):
            return content.decode(name, errors="replace"), name
    head = content[:4096]
    declared = charset_from_content_type(content_type)
    if declared is None:
        match = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
        declared = match.group(1).decode("ascii", "replace") if match else None
    codec = _codec(declared)
    if codec is not None:
        return content.decode(codec, errors="replace"), codec
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        best = from_bytes(content[:65536]).best()
        codec = _codec(best.encoding if best else None) or "cp1252"
        return content.decode(codec, errors="replace"), codec
