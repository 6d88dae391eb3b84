"""Transfer files made by hand, as a hostile colleague would make them: sealed with the app's
own sealer around content the test chooses, signed by whichever key it likes."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from app.core import devices as device_rules
from app.sync import package as pkg

PASSPHRASE = "orange kettle river"


def head_of(login: str, key, **over) -> dict:
    """The content's first line as a laptop writes it, with ``over`` replacing values."""
    return {"format": pkg.FORMAT, "person": login, "device_id": str(key.device_id),
            "public_key": key.public_key_text, "created_at": "2026-12-06T09:00:00+00:00",
            "app": "0", **over}


def line(item: dict | bytes) -> bytes:
    return (item if isinstance(item, bytes) else json.dumps(item).encode()) + b"\n"


def signed_content(head: dict, changes: list, key, *, entities: list[str] | None = None,
                   end: dict | None = None) -> bytes:
    """The content's JSON lines: ``head``, the ``changes`` (records, or a line's bytes as
    they are, whose kinds ``entities`` gives) and an end counting and signing them by
    ``key`` (unless ``end`` replaces it)."""
    lines = [line(head)] + [line(c) for c in changes]
    digest = hashlib.sha256(b"".join(lines)).hexdigest()
    counts: dict[str, int] = {}
    for n, change in enumerate(changes):
        entity = entities[n] if entities else change["entity"]
        counts[entity] = counts.get(entity, 0) + 1
    signature = key.sign(device_rules.transfer_statement(head["person"], key.device_id,
                                                         digest))
    the_end = end if end is not None else {
        "changes": len(changes), "counts": counts, "sha256": digest,
        "signature": base64.b64encode(signature).decode()}
    return b"".join(lines) + line({"end": the_end})


def sealed(path: Path, content: bytes, passphrase: str = PASSPHRASE) -> Path:
    """``content`` sealed into ``path`` by the app's own sealer."""
    with open(path, "wb") as handle:
        sealer = pkg._Sealer(handle, passphrase)
        sealer.write(content)
        sealer.close()
    return path
