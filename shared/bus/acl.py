"""Redis ACL for applications outside Rencontres that subscribe to the public event streams.

Such a user may read the public streams with a consumer group of its own, acknowledge and
reclaim in it, and nothing else: no write to any stream, no dead-letter or other internal key,
no Celery queue, no administration command.

Redis ACLs cannot scope a consumer group by name: this user could also read or acknowledge
through a Rencontres group if it named one. Give each application its own user, so that the
ACL log names it; Rencontres' groups are named after its services.
"""

from __future__ import annotations

import redis

from shared.events import ALL_EVENTS

SUBSCRIBER_COMMANDS = (
    "+ping",
    "+hello",
    "+auth",
    "+client|setname",
    "+client|id",
    "+xreadgroup",
    "+xread",
    "+xack",
    "+xpending",
    "+xautoclaim",
    "+xclaim",
    "+xrange",
    "+xrevrange",
    "+xlen",
    "+xinfo|stream",
    "+xinfo|groups",
    "+xinfo|consumers",
    "+xgroup|create",
    "+xgroup|createconsumer",
    "+xgroup|delconsumer",
)


def public_streams(prefix: str = "") -> list[str]:
    return [cls.stream(prefix) for cls in ALL_EVENTS]


def subscriber_rules(password: str, prefix: str = "") -> list[str]:
    """The arguments of `ACL SETUSER <name> ...` for an outside subscriber."""
    return [
        "reset",
        "on",
        f">{password}",
        "resetchannels",
        "-@all",
        *SUBSCRIBER_COMMANDS,
        *(f"~{stream}" for stream in public_streams(prefix)),
    ]


def create_subscriber(client: redis.Redis, name: str, password: str, prefix: str = "") -> None:
    client.execute_command("ACL", "SETUSER", name, *subscriber_rules(password, prefix))
