"""UTC now, and UTC times as the function writes them: ISO 8601 with a Z."""

from datetime import datetime, timezone


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso_utc(when: datetime) -> str:
    """`when` (timezone-aware, in UTC) as ISO 8601 ending in Z, as every stored record and reason writes it."""
    return when.isoformat().replace("+00:00", "Z")
