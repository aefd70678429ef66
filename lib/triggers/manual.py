"""Manual invocation: ``{"buckets": [{"bucket", "region"}], "dry_run"}``."""

from ..buckets import BucketRef, InvalidBucket
from ..quoting import json_type, show, show_keys
from .common import MANUAL, InvalidEvent, Trigger, why

_MANUAL_KEYS = ("buckets", "dry_run", "shard")


def parse_manual(event: dict) -> Trigger:
    unknown = [k for k in event if k not in _MANUAL_KEYS]
    if unknown:
        raise InvalidEvent(f"manual event: unknown keys {show_keys(unknown)} (allowed: buckets, dry_run, shard)")
    dry_run = event.get("dry_run")
    if "dry_run" in event and not isinstance(dry_run, bool):
        raise InvalidEvent(f"manual event: dry_run must be true or false, not {show(dry_run)}")
    entries = event["buckets"]
    if not isinstance(entries, list) or not entries:
        raise InvalidEvent(
            'manual event: buckets must be a non-empty list such as [{"bucket": "name-1250000000", "region": "ap-guangzhou"}], '
            f"not {show(entries)}"
        )
    # A dict keeps first-seen order and finds a repeat in constant time: a 200,000-bucket event
    # is read in linear time (a list scan made it quadratic, minutes before the first request).
    refs: dict[BucketRef, None] = {}
    for index, entry in enumerate(entries):
        where = f"manual event: buckets[{index}]"
        if not isinstance(entry, dict):
            raise InvalidEvent(f'{where} must be an object {{"bucket": ..., "region": ...}}, not {show(entry)}')
        missing = [k for k in ("bucket", "region") if k not in entry]
        extra = sorted(show(k, 40) for k in entry if k not in ("bucket", "region"))
        if missing or extra:
            said = ([f"no {' or '.join(missing)}"] if missing else []) + ([f"unknown {', '.join(extra)}"] if extra else [])
            raise InvalidEvent(f"{where} needs exactly bucket and region ({'; '.join(said)})")
        bucket, region = entry["bucket"], entry["region"]
        for key, value in (("bucket", bucket), ("region", region)):
            if not isinstance(value, str):
                raise InvalidEvent(f"{where}.{key} must be a string, not {json_type(value)} {show(value, 40)}"
                                   if value is not None else f"{where}.{key} must be a string, not null")
        try:
            ref = BucketRef(region=region, bucket=bucket)
        except InvalidBucket as exc:
            raise InvalidEvent(f"{where}: {why(exc)}") from exc
        refs.setdefault(ref)
    shard = None
    if "shard" in event:
        # Only a coordinator's worker invocation has a shard: lib.org.shard loads then (cold start).
        from ..org.shard import InvalidShard
        from ..org.shard import parse_block as parse_shard

        try:
            shard = parse_shard(event["shard"])
        except InvalidShard as exc:
            raise InvalidEvent(f"manual event: {exc}") from None
    # 'false' cannot override a dry-run setting, so it is the same as saying nothing.
    return Trigger(kind=MANUAL, buckets=tuple(refs), dry_run=True if dry_run else None, shard=shard)

