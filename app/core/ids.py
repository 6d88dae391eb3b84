"""Identifiers minted on the device."""

from __future__ import annotations

import os
import time
import uuid


def time_ordered_id() -> uuid.UUID:
    """A version 7 UUID (RFC 9562): milliseconds since 1970 in the first 48 bits, then
    random bits. Ids minted later sort later, so an index over them grows at its end
    instead of touching pages all over (the central store's change log holds millions)."""
    millis = time.time_ns() // 1_000_000
    value = (millis & (1 << 48) - 1) << 80 | int.from_bytes(os.urandom(10)) & ((1 << 80) - 1)
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # RFC 4122 variant
    return uuid.UUID(int=value)
