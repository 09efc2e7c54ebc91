"""Example: another PES 21 application subscribing to Rencontres' events with redis-py alone.

    python docs/examples/subscriber.py --redis redis://user:password@host:6379/0 \
        --group maison-des-associations --stream rencontres.registration.participant-registered

It creates its own consumer group (from the start of the kept history), reads, skips events it
has already handled (at-least-once delivery), acknowledges, and prints one line per event.
"""

from __future__ import annotations

import argparse
import json
import socket

import redis


def ensure_group(client: redis.Redis, stream: str, group: str) -> None:
    try:
        client.xgroup_create(stream, group, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def handle(event: dict) -> None:
    """Your application's work; here, one line per event."""
    print(event["event_type"], event["edition_id"], event.get("participant_id"), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--group", required=True, help="your application's own group")
    parser.add_argument("--stream", action="append", required=True)
    parser.add_argument("--stop-after", type=int, default=0, help="stop after N events")
    args = parser.parse_args()

    client = redis.Redis.from_url(args.redis, decode_responses=True)
    consumer = socket.gethostname()
    for stream in args.stream:
        ensure_group(client, stream, args.group)
    seen: set[str] = set()  # keep this in your database to survive restarts
    handled = 0
    # First what this consumer read before a restart and did not acknowledge, then new entries.
    for start in ("0", ">"):
        while not args.stop_after or handled < args.stop_after:
            answer = client.xreadgroup(
                args.group, consumer, {s: start for s in args.stream}, count=100, block=5000
            )
            entries = [(stream, e) for stream, batch in answer or [] for e in batch]
            if not entries:
                if start == "0":
                    break
                continue
            for stream, (entry_id, fields) in entries:
                event = json.loads(fields["__data__"])
                if event["event_id"] not in seen:
                    handle(event)
                    seen.add(event["event_id"])
                    handled += 1
                client.xack(stream, args.group, entry_id)


if __name__ == "__main__":
    main()
