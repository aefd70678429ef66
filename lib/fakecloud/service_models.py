"""COS GET Service as state: the account's buckets in name order, cut into pages. No HTTP here."""

from typing import Optional

from .models import Account, Bucket

MAX_KEYS = 2000  # COS: max-keys is at most 2000, and 2000 when not given


class ServicePage:
    def __init__(self, buckets: list[Bucket], truncated: bool, next_marker: Optional[str]):
        self.buckets = buckets
        self.truncated = truncated
        self.next_marker = next_marker


def list_page(account: Account, marker: str = "", max_keys: int = MAX_KEYS,
              region: Optional[str] = None) -> ServicePage:
    """Buckets after `marker` (exclusive, UTF-8 order), at most `max_keys` of them."""
    with account.lock:
        names = sorted(b for b in account.buckets if b > marker)
        buckets = [account.buckets[name] for name in names]
    if region:
        buckets = [b for b in buckets if b.region == region]
    page = buckets[:max_keys]
    truncated = len(buckets) > max_keys
    return ServicePage(page, truncated, page[-1].name if truncated and page else None)
