"""Which attachments are kept: allowed types checked against the bytes, size limits, safe names.

Plain Python (no Flask). A refusal carries a Dutch reason that the agent reads on the question.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kcc.mailintake.parsing import AttachmentPart

MAX_FILENAME_LENGTH = 100
UNSAFE_FILENAME_CHARACTERS = re.compile(r"[^\w.\- ()]+")


def is_pdf(content: bytes) -> bool:
    return content.startswith(b"%PDF-")


def is_jpeg(content: bytes) -> bool:
    return content.startswith(b"\xff\xd8\xff")


def is_png(content: bytes) -> bool:
    return content.startswith(b"\x89PNG\r\n\x1a\n")


def is_docx(content: bytes) -> bool:
    """A Word document: a zip with a word/document.xml, and no macros in it."""
    if not content.startswith(b"PK\x03\x04"):
        return False
    try:
        # Only the directory is read, never a member: a zip bomb cannot unpack here.
        names = set(zipfile.ZipFile(io.BytesIO(content)).namelist())
    except (zipfile.BadZipFile, ValueError):
        return False
    return "word/document.xml" in names and "word/vbaProject.bin" not in names


def is_plain_text(content: bytes) -> bool:
    """Text without NULs: any binary file would have them within its first kilobytes."""
    return b"\x00" not in content


@dataclass(frozen=True)
class FileType:
    """An allowed kind of file: its extensions, the type it is served as, its signature test."""

    label: str
    extensions: tuple[str, ...]
    content_type: str
    matches: Callable[[bytes], bool]


# Documents and photos residents send with a question (a letter, a decision, a photo of
# damage). No archives, Office files with macros, HTML or executables: an agent opens these.
ALLOWED_TYPES = (
    FileType("PDF", ("pdf",), "application/pdf", is_pdf),
    FileType("JPEG-foto", ("jpg", "jpeg"), "image/jpeg", is_jpeg),
    FileType("PNG-afbeelding", ("png",), "image/png", is_png),
    FileType(
        "Word-document zonder macro's",
        ("docx",),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        is_docx,
    ),
    FileType("tekstbestand", ("txt",), "text/plain", is_plain_text),
)
TYPES_BY_EXTENSION = {ext: kind for kind in ALLOWED_TYPES for ext in kind.extensions}
ALLOWED_LIST = "pdf, jpg, png, docx en txt"


@dataclass(frozen=True)
class AttachmentLimits:
    """How much a single e-mail may bring in."""

    max_file_bytes: int = 5 * 1024 * 1024
    max_total_bytes: int = 10 * 1024 * 1024
    max_count: int = 10


@dataclass(frozen=True)
class AttachmentVerdict:
    """An attachment kept (content type set) or refused (reason set)."""

    filename: str
    size: int
    content: bytes | None
    content_type: str | None = None
    refused_reason: str | None = None

    @property
    def is_accepted(self) -> bool:
        return self.refused_reason is None


def format_size(size: int) -> str:
    """A size as people read it: 512 bytes, 80 kB, 6,2 MB."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} kB"
    return f"{size / 1024 / 1024:.1f} MB".replace(".", ",")


def safe_filename(name: str, position: int) -> str:
    """A name without path, control or shell characters; 'bijlage-<n>' when nothing is left."""
    name = unicodedata.normalize("NFKC", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = UNSAFE_FILENAME_CHARACTERS.sub("_", name).strip(" ._")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    stem = stem[: MAX_FILENAME_LENGTH - len(extension) - 1] or f"bijlage-{position}"
    return f"{stem}.{extension.lower()}" if extension else stem


def check_attachments(
    parts: Sequence[AttachmentPart], limits: AttachmentLimits
) -> list[AttachmentVerdict]:
    """Decide on each attachment in order; the total limit refuses what comes after it."""
    verdicts: list[AttachmentVerdict] = []
    stored_bytes = 0
    for position, part in enumerate(parts, start=1):
        verdict = check_attachment(part, position, limits)
        if verdict.is_accepted and position > limits.max_count:
            verdict = refuse(
                verdict, f"Te veel bijlagen: er worden er maximaal {limits.max_count} bewaard."
            )
        elif verdict.is_accepted and stored_bytes + verdict.size > limits.max_total_bytes:
            verdict = refuse(
                verdict,
                "De bijlagen samen zijn groter dan "
                f"{format_size(limits.max_total_bytes)}; deze is niet meer bewaard.",
            )
        if verdict.is_accepted:
            stored_bytes += verdict.size
        verdicts.append(verdict)
    return verdicts


def refuse(verdict: AttachmentVerdict, reason: str) -> AttachmentVerdict:
    """The same attachment, refused for the given reason (its bytes dropped)."""
    return AttachmentVerdict(
        filename=verdict.filename, size=verdict.size, content=None, refused_reason=reason
    )


def check_attachment(
    part: AttachmentPart, position: int, limits: AttachmentLimits
) -> AttachmentVerdict:
    """Keep a file only if its extension is allowed, its bytes are that type and it is small."""
    filename = safe_filename(part.filename, position)
    size = len(part.content)
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    file_type = TYPES_BY_EXTENSION.get(extension)
    refused = AttachmentVerdict(filename=filename, size=size, content=None)
    if file_type is None:
        shown = f".{extension}" if extension else "zonder extensie"
        return refuse(
            refused,
            f"Bestandstype {shown} is niet toegestaan; toegestaan zijn {ALLOWED_LIST}.",
        )
    if size > limits.max_file_bytes:
        return refuse(
            refused,
            f"De bijlage is te groot ({format_size(size)}); "
            f"maximaal {format_size(limits.max_file_bytes)} per bestand.",
        )
    if size == 0:
        return refuse(refused, "De bijlage is leeg.")
    if not file_type.matches(part.content):
        return refuse(
            refused,
            f"De inhoud is geen echt {file_type.label}, al eindigt de naam op .{extension}.",
        )
    return AttachmentVerdict(
        filename=filename, size=size, content=part.content, content_type=file_type.content_type
    )
