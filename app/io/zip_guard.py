"""How much a workbook unpacks to, found out before anything reads it.

An Excel workbook is a zip archive of XML. A small archive can unpack to gigabytes (a "zip
bomb"): a 1.7 MB case list once kept the app busy for minutes while it ate 6.6 GB. So before
a workbook is read, the archive is looked over here: what its directory says each part
unpacks to, how far each part is compressed, and then what each part really unpacks to,
inflated in small pieces and counted, never kept, stopping as soon as a limit is passed (a
part may say less than it holds, and the readers that follow do not all stop where it says).
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: Compressed bytes inflated at a time, and the most each piece may inflate to.
_PIECE = 256 * 1024
_MOST_OUT = 4 * 1024 * 1024
#: A part's local header: its fixed length, and where the lengths of its name and extra
#: field sit in it.
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_LOCAL_MAGIC = b"PK\x03\x04"
#: Parts smaller than this unpack quickly however far they are compressed.
_RATIO_FROM = 1024 * 1024


@dataclass(frozen=True)
class Unpacking:
    """What a workbook's parts unpack to in all, and the most compressed part's ratio."""

    unpacked: int
    ratio: float


class UnpackingRefused(ValueError):
    """An archive that is not to be read: ``why`` completes "it ..." for the person."""

    def __init__(self, why: str):
        super().__init__(why)
        self.why = why


#: given a part's name, what to hand its unpacked bytes to, piece by piece (or None)
Look = Callable[[str], Callable[[bytes], None] | None]


def check_unpacking(path: Path, *, most: int, most_ratio: float,
                    look: Look | None = None) -> Unpacking:
    """Look ``path`` (a zip archive) over; ``UnpackingRefused`` if its parts unpack, or say
    they unpack, to more than ``most`` bytes in all, if a part of a megabyte or more is
    compressed more than ``most_ratio`` to one, if a part unpacks to more than it says, or
    if it is stored in a way Excel never uses. ``zipfile.BadZipFile`` or ``OSError`` if it
    cannot be read at all. ``look``: parts whose unpacked bytes are wanted as they go by."""
    with zipfile.ZipFile(path) as archive:
        parts = archive.infolist()
    said = sum(part.file_size for part in parts)
    if said > most:
        raise UnpackingRefused(f"says it unpacks to {_mb(said)}")
    ratio = 0.0
    for part in parts:
        if part.flag_bits & 0x1:
            raise UnpackingRefused(f"has a part locked with a password ({part.filename})")
        if part.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UnpackingRefused(f"has a part compressed in a way Excel never uses "
                                   f"({part.filename})")
        if part.file_size >= _RATIO_FROM:
            ratio = max(ratio, part.file_size / max(part.compress_size, 1))
    if ratio > most_ratio:
        raise UnpackingRefused(f"has a part compressed {ratio:,.0f} to one, as no workbook "
                               "is")
    unpacked = 0
    with path.open("rb") as raw:
        for part in parts:
            size = _unpacked_size(raw, part, most - unpacked,
                                  look(part.filename) if look else None)
            if size is None:
                raise UnpackingRefused(f"unpacks to more than {_mb(most)}")
            if size > part.file_size:
                raise UnpackingRefused(f"has a part that unpacks to more than it says "
                                       f"({part.filename})")
            unpacked += size
    return Unpacking(unpacked, ratio)


def _unpacked_size(raw, part: zipfile.ZipInfo, room: int,
                   feed: Callable[[bytes], None] | None = None) -> int | None:
    """What ``part`` really unpacks to, counted without being kept (each piece handed to
    ``feed`` first, if given); None as soon as that passes ``room``, and
    ``UnpackingRefused`` as soon as it passes the part's own word by more than a piece."""
    raw.seek(part.header_offset)
    header = raw.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != _LOCAL_MAGIC:
        raise zipfile.BadZipFile(f"no local header for {part.filename}")
    name_length, extra_length = _LOCAL_HEADER.unpack(header)[-2:]
    raw.seek(name_length + extra_length, 1)
    left = part.compress_size
    if part.compress_type == zipfile.ZIP_STORED:
        if feed is not None:
            while left > 0:
                piece = raw.read(min(_PIECE, left))
                if not piece:
                    raise zipfile.BadZipFile(f"{part.filename} ends early")
                left -= len(piece)
                feed(piece)
        return part.compress_size
    inflate = zlib.decompressobj(-zlib.MAX_WBITS)
    size = 0
    while left > 0 and not inflate.eof:
        piece = raw.read(min(_PIECE, left))
        if not piece:
            raise zipfile.BadZipFile(f"{part.filename} ends early")
        left -= len(piece)
        while piece:
            try:
                out = inflate.decompress(piece, _MOST_OUT)
            except zlib.error as exc:
                raise zipfile.BadZipFile(f"{part.filename} is damaged ({exc})") from exc
            size += len(out)
            if size > room:
                return None
            if feed is not None:
                feed(out)
            if size > part.file_size + _MOST_OUT:
                raise UnpackingRefused(f"has a part that unpacks to more than it says "
                                       f"({part.filename})")
            piece = inflate.unconsumed_tail
    try:
        rest = inflate.flush()
    except zlib.error as exc:
        raise zipfile.BadZipFile(f"{part.filename} is damaged ({exc})") from exc
    size += len(rest)
    if rest and feed is not None and size <= room:
        feed(rest)
    return size if size <= room else None


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:,.0f} MB"
