"""Stream trimming that never removes an entry some consumer group has not acknowledged."""

from __future__ import annotations

import time

import redis


def _parse_id(entry_id: bytes | str) -> tuple[int, int]:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def safe_min_id(client: redis.Redis, stream: str) -> tuple[int, int] | None:
    """The oldest entry that some group still needs: pending or not yet delivered.

    None when no group reads the stream (then nothing is known to be safe beyond age).
    """
    groups = client.xinfo_groups(stream)
    if not groups:
        return None
    needed: list[tuple[int, int]] = []
    for group in groups:
        name = group["name"]
        summary = client.xpending(stream, name)
        if summary["pending"]:
            needed.append(_parse_id(summary["min"]))
        last_ms, last_seq = _parse_id(group["last-delivered-id"])
        needed.append((last_ms, last_seq + 1))
    return min(needed)


def trim_stream(client: redis.Redis, stream: str, min_age_s: float) -> int:
    """Remove entries older than `min_age_s`, but none that a group still has to handle."""
    if not client.exists(stream):
        return 0
    # Entry ids start with their millisecond: every entry of the cut-off millisecond is old
    # enough, so the first id kept is the next millisecond's.
    ms_limit = int((time.time() - min_age_s) * 1000) + 1
    limit = (ms_limit, 0)
    needed = safe_min_id(client, stream)
    if needed is not None:
        limit = min(limit, needed)
    return int(client.xtrim(stream, minid=f"{limit[0]}-{limit[1]}", approximate=False))
