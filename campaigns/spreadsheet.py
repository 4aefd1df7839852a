"""CSV as spreadsheets make and read it: the encodings operators' files arrive in, and safe cells out.

`decode_upload` reads the bytes of an uploaded or imported CSV: UTF-8 with or without a BOM,
UTF-16 (with its BOM, as Excel's "Unicode text" writes it) and Windows-1256, what Excel's plain
"CSV" writes on a Persian Windows. `safe_cell` neutralises a cell a spreadsheet would execute
as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage return) by putting an
apostrophe in front; every CSV the platform writes goes through it.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
WINDOWS_PERSIAN = "cp1256"


class EncodingError(ValueError):
    """The bytes are none of the encodings a spreadsheet writes."""


def decode_upload(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read in ('utf-8', 'utf-16' or 'cp1256')."""
    text, encoding = _decode(data)
    if "\x00" in text:  # UTF-16 without a BOM reads as "valid" UTF-8 or Windows-1256 full of NULs
        raise EncodingError("the file looks like UTF-16 without a byte-order mark; save it as CSV UTF-8")
    if any(ord(character) < 32 and character not in "\t\r\n" for character in text):
        raise EncodingError("the file is not text (an Excel workbook?): save it as CSV UTF-8")
    return text, encoding


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as error:
            raise EncodingError(f"the file starts as UTF-16 but byte {error.start} is not: {error.reason}") from None
    try:
        return data.decode("utf-8-sig"), "utf-8"  # with or without the BOM Excel's "CSV UTF-8" writes
    except UnicodeDecodeError as error:
        if data.startswith(codecs.BOM_UTF8):
            raise EncodingError(f"the file starts as UTF-8 but byte {error.start} is not: {error.reason}") from None
    return data.decode(WINDOWS_PERSIAN), WINDOWS_PERSIAN  # every byte means something in Windows-1256


def safe_cell(value: object) -> str:
    """The text of a cell, with an apostrophe in front when a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Iterable[object], rows: Iterable[Iterable[object]]) -> str:
    """A CSV document (UTF-8 text, `\\n` line ends) whose every cell went through `safe_cell`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([safe_cell(cell) for cell in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return out.getvalue()
