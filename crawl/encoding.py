"""Bytes of an HTML page → NFC text: header charset, then meta, then BOM, then detection."""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata

from charset_normalizer import from_bytes

from crawl.legacy import CONVERTERS, detect_legacy

log = logging.getLogger(__name__)

_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))
# Labels that mean "the server never said": Western defaults, wrong for a Vietnamese page
# that turns out to be valid UTF-8.
_WESTERN = {"latin_1", "iso8859_1", "cp1252", "ascii"}
# WHATWG: pages labelled latin-1/ascii are decoded as windows-1252.
_ALIASES = {"latin_1": "cp1252", "iso8859_1": "cp1252", "ascii": "cp1252"}
# A font-family names the legacy encoding outright.
_LEGACY_FONT = re.compile(r"font-family\s*:\s*[\"']?\s*(\.vn\w+|vni[\w -]*)", re.I)


def _codec(label: str | None) -> str | None:
    """Python codec name for a charset label, or None when unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in ("utf8", "unicode-1-1-utf-8"):
        label = "utf-8"
    try:
        return codecs.lookup(label).name.replace("-", "_")
    except LookupError:
        log.info("unknown charset label %r", label)
        return None


# A declared charset is kept when the bytes it cannot decode are a sliver of the text: one bad
# byte (a stray paste, a body cut mid-letter) costs one replaced character, not the whole page.
# A wrong label fails on most accented letters and falls through to the next source.
MAX_BAD = 2  # undecodable bytes accepted whatever the text ...
MAX_BAD_SHARE = 0.02  # ... or this share of the non-ASCII characters that did decode


def _fit(body: bytes, codec: str) -> tuple[int, int]:
    """(non-ASCII characters decoded, bytes that could not be) for these bytes in a codec."""
    text = body.decode(_ALIASES.get(codec, codec), errors="replace")
    bad = text.count("\ufffd")
    if bad and codec == "utf_8":
        bad -= body.count("\ufffd".encode())  # a replacement character the page really holds
    good = len(text) - len(text.encode("ascii", "ignore")) - bad
    return good, bad


def _mostly(good: int, bad: int) -> bool:
    return bad <= max(MAX_BAD, MAX_BAD_SHARE * good)


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _usable(body: bytes, codec: str) -> bool:
    """False when a declared charset is clearly wrong for these bytes."""
    if codec in _WESTERN and not body.isascii() and _is_utf8(body):
        return False  # a Western default over valid multi-byte UTF-8: the label lies
    return _mostly(*_fit(body, codec))


def _detect(body: bytes) -> str:
    good, bad = _fit(body, "utf_8")
    if not bad or (good > bad and _mostly(good, bad)):
        return "utf_8"  # UTF-8 but for a stray byte: detection would guess a Western charset
    best = from_bytes(body[:200_000]).best()
    return best.encoding if best is not None else "cp1252"


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, encoding): HTTP header charset, then meta, then BOM, then detection; NFC text."""
    candidates: list[tuple[str, str | None]] = []
    if content_type and (m := _HEADER_CHARSET.search(content_type)):
        candidates.append(("header", _codec(m.group(1))))
    if meta := _META_CHARSET.search(body[:4096]):
        candidates.append(("meta", _codec(meta.group(1).decode("ascii", "replace"))))
    for bom, name in _BOMS:
        if body.startswith(bom):
            # A byte-order mark is unambiguous, whatever the labels say (WHATWG does the same).
            candidates = [("bom", _codec(name))]
            body = body[len(bom):]
            break
    encoding = None
    for source, codec in candidates:
        if codec and _usable(body, codec):
            encoding = codec
            break
        log.info("ignoring %s charset %r: it does not fit the bytes", source, codec)
    if encoding is None:
        encoding = _detect(body)
    text = body.decode(_ALIASES.get(encoding, encoding), errors="replace")
    # windows-1258 decodes tone marks as separate combining characters: compose them.
    text = unicodedata.normalize("NFC", text)
    legacy = _legacy(text)
    if legacy:
        log.info("converting legacy %s text to Unicode", legacy)
        text = unicodedata.normalize("NFC", CONVERTERS[legacy](text))
        encoding = f"{encoding}+{legacy}"
    return text, encoding.replace("_", "-")


def _legacy(text: str) -> str | None:
    """The legacy font encoding of a page's text, if it clearly uses one."""
    if text.isascii():
        return None
    font = _LEGACY_FONT.search(text)
    found = detect_legacy(_visible_sample(text))
    if found is None and font is not None:
        log.warning("page names legacy font %r but its text does not look converted",
                    font.group(1))
    return found


_TAG = re.compile(r"<script.*?</script>|<style.*?</style>|<[^>]+>", re.S | re.I)


def _visible_sample(text: str) -> str:
    """Text between tags (a rough cut is enough to judge the words)."""
    return _TAG.sub(" ", text[:400_000])
