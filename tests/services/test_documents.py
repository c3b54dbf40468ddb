"""What may be uploaded (help guide 5.10), checked on real files built here byte by byte: every
allowed kind is recognised by its content, a file whose content does not match its name is
refused, and so are unsafe names, password-protected files and zip bombs."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from urllib.parse import unquote

import pytest

from app.services.documents import (
    KINDS,
    MB,
    UploadProblem,
    download_disposition,
    human_size,
    identify,
    safe_filename,
)

# Real files ---------------------------------------------------------------------------------


def pdf_bytes(text: str = "Written consent from the family", *, trailer_extra: str = "") -> bytes:
    """A small, valid one-page PDF (its cross-reference offsets are right)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer_extra.encode("latin-1"),
        xref,
    )
    return bytes(out)


def encrypted_pdf_bytes(inline: bool = False) -> bytes:
    """A PDF whose trailer names an encryption dictionary, as password protection writes it:
    by reference ("/Encrypt 6 0 R"), or inline ("/Encrypt<<...>>"), which PDF syntax allows."""
    if inline:
        extra = "/Encrypt<</Filter/Standard/V 2/R 3/Length 128/P -3904/O(x)/U(y)>>"
    else:
        extra = " /Encrypt 6 0 R /ID [<0123456789abcdef> <0123456789abcdef>]"
    return pdf_bytes(trailer_extra=extra)


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real PNG: signature, IHDR, IDAT (zlib) and IEND chunks with their CRCs."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        checksum = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + checksum

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    """The start and end of a JFIF JPEG: SOI, an APP0 JFIF segment, a comment, EOI."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    comment = b"Photo of the letter"
    return (
        b"\xff\xd8"
        + b"\xff\xe0"
        + struct.pack(">H", len(app0) + 2)
        + app0
        + b"\xff\xfe"
        + struct.pack(">H", len(comment) + 2)
        + comment
        + b"\xff\xd9"
    )


def zip_bytes(
    parts: dict[str, bytes], *, encrypted: frozenset[str] = frozenset(), stored_first: bool = False
) -> bytes:
    """A zip of `parts`; entries named in `encrypted` carry the "encrypted" flag (bit 0 of
    their flags, in the local and the central header), as a password-protected zip's do."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index, (name, data) in enumerate(parts.items()):
            info = zipfile.ZipInfo(name, date_time=(2026, 11, 23, 9, 0, 0))
            info.compress_type = (
                zipfile.ZIP_STORED if stored_first and index == 0 else zipfile.ZIP_DEFLATED
            )
            archive.writestr(info, data)
    data = bytearray(buffer.getvalue())
    # zipfile rewrites flag bits as it writes, so the flag is set in the bytes afterwards.
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        central = archive.start_dir
        for info in archive.infolist():
            if info.filename in encrypted:
                data[info.header_offset + 6] |= 0x1
    while data[central : central + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack(
            "<HHH", data[central + 28 : central + 34]
        )
        if data[central + 46 : central + 46 + name_length].decode() in encrypted:
            data[central + 8] |= 0x1
        central += 46 + name_length + extra_length + comment_length
    return bytes(data)


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="{part}" ContentType="{content_type}"/>'
    "</Types>"
)


def rels(target: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'relationships/officeDocument" Target="{target}"/>'
        "</Relationships>"
    ).encode()


def docx_parts(text: str = "Plan agreed with the family") -> dict[str, bytes]:
    return {
        "[Content_Types].xml": CONTENT_TYPES.format(
            part="/word/document.xml",
            content_type="application/vnd.openxmlformats-officedocument.wordprocessingml."
            "document.main+xml",
        ).encode(),
        "_rels/.rels": rels("word/document.xml"),
        "word/document.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f"<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"
        ).encode(),
    }


def docx_bytes(text: str = "Plan agreed with the family") -> bytes:
    return zip_bytes(docx_parts(text))


def xlsx_bytes() -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": CONTENT_TYPES.format(
                part="/xl/workbook.xml",
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml."
                "sheet.main+xml",
            ).encode(),
            "_rels/.rels": rels("xl/workbook.xml"),
            "xl/workbook.xml": (
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                b'<sheets><sheet name="Attendance" sheetId="1" r:id="rId1"/></sheets></workbook>'
            ),
            "xl/_rels/workbook.xml.rels": (
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
                b'2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
            ),
            "xl/worksheets/sheet1.xml": (
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>92%</t></is></c></row>'
                b"</sheetData></worksheet>"
            ),
        }
    )


ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


def odt_bytes() -> bytes:
    """An OpenDocument text: the `mimetype` entry first and stored, as the standard says."""
    return zip_bytes(
        {
            "mimetype": ODT_MIMETYPE,
            "content.xml": (
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:'
                b'office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
                b'office:version="1.3"><office:body><office:text><text:p>Report</text:p>'
                b"</office:text></office:body></office:document-content>"
            ),
            "META-INF/manifest.xml": (
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:'
                b'manifest:1.0" manifest:version="1.3"><manifest:file-entry '
                b'manifest:full-path="/" manifest:media-type="application/vnd.oasis.'
                b'opendocument.text"/></manifest:manifest>'
            ),
        },
        stored_first=True,
    )


def damaged_odt_bytes() -> bytes:
    """An ODT whose `mimetype` entry is compressed and whose compressed bytes are corrupt."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("mimetype", date_time=(2026, 11, 23, 9, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, ODT_MIMETYPE * 4)
        archive.writestr("content.xml", b"<office:document-content/>")
    data = bytearray(buffer.getvalue())
    start = 30 + len("mimetype")  # the local header, then the compressed data
    for index in range(start, start + 8):
        data[index] ^= 0xFF
    return bytes(data)


OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def ole2_bytes(stream_name: str = "WordDocument") -> bytes:
    """A compound file (Word or Excel 97-2003): the 512-byte header, then a directory sector
    naming its root and one stream (UTF-16-LE names, as the format stores them)."""
    header = (
        OLE2_SIGNATURE
        + b"\x00" * 16  # CLSID
        + struct.pack("<HHHHH", 0x3E, 0x03, 0xFFFE, 9, 6)  # versions, byte order, sectors
        + b"\x00" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 0x1000, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    )
    header += b"\xff" * (512 - len(header))

    def entry(name: str, kind: int) -> bytes:
        encoded = (name + "\x00").encode("utf-16-le")
        return (
            encoded.ljust(64, b"\x00")
            + struct.pack("<HBB", len(encoded), kind, 1)
            + b"\xff" * 12
            + b"\x00" * 52
        )

    directory = entry("Root Entry", 5) + entry(stream_name, 2)
    return header + directory.ljust(512, b"\x00") + b"\x00" * 512


def encrypted_office_bytes() -> bytes:
    """What Office writes for a password-protected DOCX: a compound file holding an
    "EncryptedPackage" stream instead of a zip."""
    return ole2_bytes("EncryptedPackage")


RTF = b"{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Arial;}}\\f0\\fs24 Attendance letter sent.\\par}"
TEXT = "Notes from the home visit: Zoë said she likes school – mostly.\r\n".encode()
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + b"PE\x00\x00"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><title>x</title><script>alert(1)</script>"


def zip_bomb_docx_bytes(expanded_mb: int = 20) -> bytes:
    """A DOCX whose one big part is zeros: a few KB that expand a thousandfold."""
    parts = docx_parts()
    parts["word/media/filler.bin"] = b"\x00" * (expanded_mb * MB)
    return zip_bytes(parts)


def encrypted_entry_docx_bytes() -> bytes:
    return zip_bytes(docx_parts(), encrypted=frozenset({"word/document.xml"}))


# Kinds found by content ---------------------------------------------------------------------

GOOD_FILES = [
    ("consent.pdf", pdf_bytes(), "pdf"),
    ("letter.doc", ole2_bytes(), "doc"),
    ("plan.docx", docx_bytes(), "docx"),
    ("report.odt", odt_bytes(), "odt"),
    ("attendance.rtf", RTF, "rtf"),
    ("notes.txt", TEXT, "txt"),
    ("photo.jpg", jpeg_bytes(), "jpeg"),
    ("photo.JPEG", jpeg_bytes(), "jpeg"),
    ("drawing.png", png_bytes(), "png"),
    ("register.xls", ole2_bytes("Workbook"), "xls"),
    ("register.xlsx", xlsx_bytes(), "xlsx"),
]


@pytest.mark.parametrize(
    ("filename", "data", "kind"), GOOD_FILES, ids=[name for name, _, _ in GOOD_FILES]
)
def test_every_allowed_kind_is_recognised_by_its_content(
    filename: str, data: bytes, kind: str
) -> None:
    found = identify(data, filename)
    assert found is KINDS[kind]


def test_text_in_the_windows_character_set_is_text() -> None:
    assert identify("Café notes".encode("cp1252"), "notes.txt").name == "txt"


MISMATCHES = [
    ("invoice.pdf", EXE, "invoice.pdf is not really a PDF file"),
    ("photo.docx", png_bytes(), "photo.docx is not really a Word file"),
    ("notes.jpg", TEXT, "notes.jpg is not really a JPEG file"),
    ("register.docx", xlsx_bytes(), "register.docx is not really a Word file"),
    ("plan.xlsx", docx_bytes(), "plan.xlsx is not really an Excel file"),
    ("archive.docx", zip_bytes({"a.txt": b"hello"}), "archive.docx is not really a Word file"),
    ("letter.docx", ole2_bytes(), "letter.docx is not really a Word file"),
    ("consent.png", pdf_bytes(), "consent.png is not really a PNG file"),
    ("binary.txt", EXE, "binary.txt is not really a text file"),
    ("letter.rtf", TEXT, "letter.rtf is not really an RTF file"),
]


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    MISMATCHES,
    ids=[
        "exe-renamed-pdf",
        "png-renamed-docx",
        "text-renamed-jpg",
        "xlsx-renamed-docx",
        "docx-renamed-xlsx",
        "plain-zip-renamed-docx",
        "ole-doc-renamed-docx",
        "pdf-renamed-png",
        "exe-renamed-txt",
        "text-renamed-rtf",
    ],
)
def test_content_that_does_not_match_the_name_is_refused(
    filename: str, data: bytes, message: str
) -> None:
    with pytest.raises(UploadProblem, match=re.escape(message)):
        identify(data, filename)


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("empty.pdf", b"", "empty.pdf is empty"),
        ("locked.pdf", encrypted_pdf_bytes(), "locked.pdf is password protected"),
        ("locked.docx", encrypted_entry_docx_bytes(), "locked.docx is password protected"),
        ("locked.docx", encrypted_office_bytes(), "locked.docx is password protected"),
        ("locked.xlsx", encrypted_office_bytes(), "locked.xlsx is password protected"),
        ("bomb.docx", zip_bomb_docx_bytes(), "bomb.docx cannot be checked: it expands"),
        ("cut.docx", docx_bytes()[:200], "cut.docx is damaged"),
        (
            "many.docx",
            zip_bytes({**docx_parts(), **{f"p/{n}": b"" for n in range(5001)}}),
            "many.docx cannot be checked: it holds too many parts",
        ),
    ],
    ids=[
        "empty",
        "password-protected-pdf",
        "encrypted-zip-entry-docx",
        "encrypted-ole-named-docx",
        "encrypted-ole-named-xlsx",
        "zip-bomb-docx",
        "truncated-docx",
        "too-many-parts-docx",
    ],
)
def test_files_that_cannot_be_read_safely_are_refused(
    filename: str, data: bytes, message: str
) -> None:
    with pytest.raises(UploadProblem, match=re.escape(message)):
        identify(data, filename)


def test_a_docx_that_compresses_well_but_not_absurdly_is_accepted() -> None:
    parts = docx_parts("Attendance " * 2000)  # text compresses around 50 times
    assert identify(zip_bytes(parts), "plan.docx").name == "docx"


def test_a_damaged_odt_is_refused_as_damaged() -> None:
    """BUG: a corrupt compressed `mimetype` entry raises zlib.error, which `_zip_kind` does not
    catch, so the upload answers 500 instead of naming the damaged file."""
    with pytest.raises(UploadProblem, match=re.escape("report.odt is damaged")):
        identify(damaged_odt_bytes(), "report.odt")


def test_a_pdf_with_an_inline_encryption_dictionary_is_password_protected() -> None:
    """BUG: `/Encrypt` followed directly by `<<` (no space) is valid PDF syntax for an
    encrypted document, but the check looks only for `/Encrypt` and then whitespace."""
    with pytest.raises(UploadProblem, match="password protected"):
        identify(encrypted_pdf_bytes(inline=True), "locked.pdf")


# Names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "consent.pdf",
        "Zoë's report; final (2).PDF",
        "letter.docx",
        "  spaced name.txt  ",
        "a" * 196 + ".pdf",
    ],
    ids=["plain", "non-ascii-quote-semicolon", "docx", "spaces-trimmed", "200-characters"],
)
def test_safe_names_are_kept(name: str) -> None:
    assert safe_filename(name) == name.strip()


def test_names_are_kept_in_one_unicode_form() -> None:
    assert safe_filename("Zoe\u0308.pdf") == "Zo\u00eb.pdf"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Select a file to upload"),
        ("../../etc/passwd.pdf", "is not allowed"),
        ("..\\evil.pdf", "is not allowed"),
        ("/abs/x.pdf", "is not allowed"),
        ("C:\\Users\\ada\\x.pdf", "is not allowed"),
        ("report\x00.pdf", "has hidden characters"),
        ("report\n.pdf", "has hidden characters"),
        (".hidden.pdf", "is not allowed"),
        ("a" * 197 + ".pdf", "is too long: rename the file with 200 characters or fewer"),
        ("setup.exe", "setup.exe must be a PDF, Word"),
        ("page.html", "page.html must be a PDF, Word"),
        ("drawing.svg", "drawing.svg must be a PDF, Word"),
        ("README", "README must be a PDF, Word"),
        ("report.pdf.", "must be a PDF, Word"),
    ],
    ids=[
        "empty",
        "unix-path-traversal",
        "windows-path-traversal",
        "absolute-path",
        "windows-drive",
        "nul",
        "newline",
        "dot-first",
        "over-200-characters",
        "exe",
        "html",
        "svg",
        "no-extension",
        "trailing-dot",
    ],
)
def test_unsafe_or_unknown_names_are_refused(name: str, message: str) -> None:
    with pytest.raises(UploadProblem, match=re.escape(message)):
        safe_filename(name)


def test_a_refused_name_is_shown_without_its_control_characters() -> None:
    with pytest.raises(UploadProblem) as problem:
        safe_filename("report\x00\n.pdf")
    assert "report.pdf" in str(problem.value)
    assert "\x00" not in str(problem.value) and "\n" not in str(problem.value)


# Downloads ----------------------------------------------------------------------------------


TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
PARAMETER = re.compile(rf'\s*;\s*({TOKEN})\s*=\s*("(?:[^"\\]|\\.)*"|{TOKEN})')


def disposition_parameters(value: str) -> tuple[str, dict[str, str]]:
    """Content-Disposition read as RFC 6266 says: a type, then `; name=token-or-quoted`
    parameters, every character accounted for."""
    kind = re.match(TOKEN, value)
    assert kind, value
    parameters: dict[str, str] = {}
    position = kind.end()
    while position < len(value):
        match = PARAMETER.match(value, position)
        assert match, f"cannot read {value[position:]!r}"
        name, raw = match.group(1).lower(), match.group(2)
        assert name not in parameters, f"{name} given twice"
        parameters[name] = re.sub(r"\\(.)", r"\1", raw[1:-1]) if raw.startswith('"') else raw
        position = match.end()
    return kind.group(0).lower(), parameters


@pytest.mark.parametrize(
    "name",
    ['Zoë\'s "final" report;.pdf', "plain.pdf", 'x"; filename="evil.html.pdf', "日本語.txt"],
    ids=["quotes-semicolon-non-ascii", "plain", "parameter-injection", "no-ascii-at-all"],
)
def test_download_disposition_is_an_attachment_that_keeps_the_name(name: str) -> None:
    value = download_disposition(name)
    value.encode("ascii")  # a header value every browser reads the same way
    kind, parameters = disposition_parameters(value)
    assert kind == "attachment"
    assert set(parameters) == {"filename", "filename*"}
    charset, _, encoded = parameters["filename*"].partition("''")
    assert charset.upper() == "UTF-8"
    assert unquote(encoded, errors="strict") == name  # what modern browsers save it as
    # The fallback for old browsers: a plain name, nothing that could end the parameter.
    assert re.fullmatch(r"[A-Za-z0-9._ -]+", parameters["filename"])
    assert parameters["filename"].endswith(name.rsplit(".", 1)[1])


def test_human_sizes() -> None:
    assert human_size(0) == "0 bytes"
    assert human_size(1023) == "1023 bytes"
    assert human_size(2048) == "2 KB"
    assert human_size(MB + MB // 2) == "1.5 MB"
