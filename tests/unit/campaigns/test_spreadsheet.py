"""What spreadsheets write and read: upload encodings, and cells that must never run as formulas."""

from __future__ import annotations

import codecs
import csv
import io

import pytest

from campaigns.spreadsheet import EncodingError, csv_text, decode_upload, safe_cell

ROWS = "شماره,نام,برچسب\n09121234567,مریم,vip\n"


@pytest.mark.parametrize(("data", "encoding"), [
    (ROWS.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + ROWS.encode("utf-8"), "utf-8"),
    (ROWS.encode("utf-16"), "utf-16"),  # with its byte-order mark, as Excel writes it
])
def test_every_encoding_a_spreadsheet_writes_reads_back_the_same_text(data, encoding):
    assert decode_upload(data) == (ROWS, encoding)


def test_windows_1256_reads_with_the_arabic_yeh_it_stores():
    # Excel's "CSV" on a Persian Windows: Windows-1256 has no Persian yeh (U+06CC) and writes the Arabic
    # one (U+064A), which the importer's name normalisation turns back into Persian.
    arabic_yeh = ROWS.replace("ی", "ي")
    assert decode_upload(arabic_yeh.encode("cp1256")) == (arabic_yeh, "cp1256")


@pytest.mark.parametrize("text", [ROWS, "wa_id,name\n989121234567,Sara\n"])
def test_utf16_without_a_byte_order_mark_is_refused_not_read_as_garbage(text):
    with pytest.raises(EncodingError, match="UTF-16"):
        decode_upload(text.encode("utf-16-le"))


def test_a_broken_file_behind_a_utf8_mark_says_where():
    with pytest.raises(EncodingError, match="UTF-8 but byte"):
        decode_upload(codecs.BOM_UTF8 + b"wa_id,name\n98912,\xff\n")


def test_a_workbook_uploaded_by_mistake_is_refused_with_what_to_do():
    with pytest.raises(EncodingError, match="save it as CSV UTF-8"):
        decode_upload(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb5U\x9e")  # an .xlsx starts so


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\")", "+98912", "-1+2", "@SUM(A1)", "\tx", "\r=1"])
def test_cells_a_spreadsheet_would_execute_get_an_apostrophe(cell):
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["989121234567", "مریم", "", "a=b", "vip;new"])
def test_ordinary_cells_are_unchanged(cell):
    assert safe_cell(cell) == cell


def test_a_written_csv_reads_back_with_every_cell_safe():
    text = csv_text(["name", "note"], [["=cmd|' /C calc'!A0", "ok"], [None, 12]])
    assert list(csv.reader(io.StringIO(text))) == [["name", "note"], ["'=cmd|' /C calc'!A0", "ok"], ["", "12"]]
