"""crawl.encoding and crawl.legacy: bytes of Vietnamese pages → NFC text."""

import logging
import unicodedata

import pytest

from crawl.encoding import decode_html
from crawl.legacy import detect_legacy, tcvn3_to_unicode, vni_to_unicode

TEXTS = [
    "Ủy ban nhân dân huyện Đắk Song thông báo lịch tiếp công dân",
    "Hội đồng nhân dân xã Nâm N'Jang họp kỳ thứ năm",
    "Kế hoạch số 123/KH-UBND về chuyển đổi số năm 2021, người dân phường Đức An",
]


_TONES = "\u0300\u0301\u0303\u0309\u0323"


def _cp1258(text: str) -> bytes:
    """windows-1258 bytes as Vietnamese pages hold them: â, ơ, ư precomposed, tones apart."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        nfd = unicodedata.normalize("NFD", ch)
        tones = "".join(c for c in nfd if c in _TONES)
        base = unicodedata.normalize("NFC", "".join(c for c in nfd if c not in _TONES))
        out.append(base + tones)
    return "".join(out).encode("cp1258")


def _page(text: str, head: str = "") -> str:
    return f"<html><head>{head}<title>t</title></head><body><p>{text}</p></body></html>"


@pytest.mark.parametrize("text", TEXTS, ids=TEXTS)
def test_windows_1258_is_composed_to_nfc(text: str) -> None:
    # cp1258 has no precomposed toned letters: the tone marks come as combining characters.
    raw = _cp1258(_page(text))
    decoded, encoding = decode_html(raw, "text/html; charset=windows-1258")
    assert encoding == "cp1258"
    assert text in decoded
    assert unicodedata.is_normalized("NFC", decoded)


@pytest.mark.parametrize("text", TEXTS, ids=TEXTS)
def test_windows_1258_from_meta(text: str) -> None:
    head = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1258">'
    raw = _cp1258(_page(text, head))
    decoded, encoding = decode_html(raw)
    assert (encoding, text in decoded) == ("cp1258", True)


@pytest.mark.parametrize("text", TEXTS, ids=TEXTS)
def test_nfd_utf8_page_becomes_nfc(text: str) -> None:
    raw = unicodedata.normalize("NFD", _page(text)).encode("utf-8")
    decoded, encoding = decode_html(raw, "text/html; charset=utf-8")
    assert encoding == "utf-8"
    assert text in decoded


def test_header_wins_over_meta() -> None:
    text = TEXTS[0]
    head = '<meta charset="utf-8">'
    raw = _cp1258(_page(text, head))
    decoded, encoding = decode_html(raw, "text/html; charset=windows-1258")
    assert (encoding, text in decoded) == ("cp1258", True)


def test_wrong_western_header_loses_to_utf8_meta() -> None:
    # Servers default to ISO-8859-1; valid multi-byte UTF-8 shows the label is wrong.
    text = TEXTS[1]
    raw = _page(text, '<meta charset="utf-8">').encode("utf-8")
    decoded, encoding = decode_html(raw, "text/html; charset=ISO-8859-1")
    assert (encoding, text in decoded) == ("utf-8", True)


def test_bom_and_no_labels() -> None:
    raw = b"\xef\xbb\xbf" + _page(TEXTS[2]).encode("utf-8")
    decoded, encoding = decode_html(raw)
    assert encoding == "utf-8"
    assert decoded.startswith("<html>")


def test_detection_without_labels() -> None:
    raw = _cp1258(_page(" ".join(TEXTS) * 5))
    decoded, _ = decode_html(raw)
    assert TEXTS[0] in decoded


def _tcvn3(text: str) -> str:
    from crawl.legacy import TCVN3_TO_UNICODE

    inverse = {v: k for k, v in TCVN3_TO_UNICODE.items()}
    return "".join(inverse.get(ch, ch) for ch in text)


VNI = {
    "Xin chaøo caùc baïn": "Xin chào các bạn",
    "UÛy ban nhaân daân huyeän Ñaék Song": "Ủy ban nhân dân huyện Đắk Song",
    "ngöôøi daân xaõ Thuaän Haø": "người dân xã Thuận Hà",
}


@pytest.mark.parametrize(("legacy", "text"), VNI.items(), ids=list(VNI.values()))
def test_vni_converts(legacy: str, text: str) -> None:
    assert vni_to_unicode(legacy) == text


@pytest.mark.parametrize("text", [t.lower() for t in TEXTS], ids=TEXTS)
def test_tcvn3_round_trip(text: str) -> None:
    assert tcvn3_to_unicode(_tcvn3(text)) == text


def test_legacy_pages_are_detected_and_converted() -> None:
    text = " ".join(t.lower() for t in TEXTS)
    tcvn3 = _page(_tcvn3(text), '<style>p{font-family:.VnTime}</style>').encode("cp1252")
    decoded, encoding = decode_html(tcvn3, "text/html; charset=windows-1252")
    assert encoding == "cp1252+tcvn3"
    assert text in decoded
    vni = _page(" ".join(VNI)).encode("cp1252")
    decoded, encoding = decode_html(vni, "text/html; charset=windows-1252")
    assert encoding == "cp1252+vni"
    assert " ".join(VNI.values()) in decoded


@pytest.mark.parametrize("text", [
    *TEXTS, "Café crème brûlée à la française, très élégant, déjà vu, naïve façade",
], ids=["vi1", "vi2", "vi3", "french"])
def test_unicode_text_is_not_legacy(text: str) -> None:
    assert detect_legacy(text) is None


def test_unsure_legacy_is_left_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    # Half legacy, half Unicode: not clear enough to convert.
    mixed = " ".join(TEXTS) + " " + " ".join(VNI)
    with caplog.at_level(logging.WARNING, logger="crawl.legacy"):
        assert detect_legacy(mixed) is None
    assert "legacy vni" in caplog.text


# --- one bad byte must not change the decoding of the whole page (issue 13 §7) ----------------

def _with_bad_byte(text: str, bad: bytes = b"\xff", head: str = "") -> bytes:
    """A UTF-8 page with one invalid byte in the middle of its text."""
    half = len(text) // 2
    return _page(text[:half] + "@@" + text[half:], head).encode("utf-8").replace(b"@@", bad)


@pytest.mark.parametrize(("content_type", "head"), [
    ("text/html; charset=utf-8", ""),
    (None, '<meta charset="utf-8">'),
    (None, '<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">'),
    (None, ""),
], ids=["header", "meta-charset", "meta-http-equiv", "no-label"])
def test_one_invalid_byte_in_utf8_is_replaced_alone(content_type: str | None, head: str) -> None:
    text = " ".join(TEXTS)
    decoded, encoding = decode_html(_with_bad_byte(text, head=head), content_type)
    assert encoding == "utf-8"
    half = len(text) // 2
    assert text[:half] + "\ufffd" + text[half:] in decoded
    assert decoded.count("\ufffd") == 1


def test_a_truncated_last_character_is_replaced_alone() -> None:
    # A body cut by the size limit in the middle of a multi-byte letter.
    raw = _page(TEXTS[0]).encode("utf-8") + "Đắ".encode()[:-1]
    decoded, encoding = decode_html(raw, "text/html; charset=utf-8")
    assert encoding == "utf-8" and TEXTS[0] in decoded and decoded.count("\ufffd") == 1


def test_an_undefined_byte_in_windows_1258_is_replaced_alone() -> None:
    # 0x81 has no character in windows-1258; the rest of the page is still windows-1258.
    raw = _cp1258(_page(TEXTS[0] + "#" + TEXTS[1])).replace(b"#", b"\x81")
    decoded, encoding = decode_html(raw, "text/html; charset=windows-1258")
    assert encoding == "cp1258"
    assert f"{TEXTS[0]}\ufffd{TEXTS[1]}" in decoded


def test_a_utf8_label_on_a_windows_1258_page_still_falls_through() -> None:
    # Not one bad byte but every accented letter: the label is wrong, the meta tag is right.
    head = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1258">'
    raw = _cp1258(_page(" ".join(TEXTS), head))
    decoded, encoding = decode_html(raw, "text/html; charset=utf-8")
    assert encoding == "cp1258" and TEXTS[2] in decoded
