"""The buckets an operator names for request, withdraw and rebind, checked before anything is sent.

A bucket name, a region or an APPID that is wrong is one line and exit 2: no host is built from it
and no call is made.
"""

import re
from datetime import date
from typing import Optional

from ..buckets import BucketRef, InvalidBucket
from .errors import CliError, one_line
from .invoking import read_json_file

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")


def pairs(buckets, regions) -> list[BucketRef]:
    """--bucket/--region: one region for all, or one per bucket; each pair validated."""
    buckets, regions = buckets or [], regions or []
    if len(regions) == 1:
        regions = regions * len(buckets)
    if len(regions) != len(buckets):
        raise CliError(f"give one --region for all buckets, or one --region per --bucket (got {len(buckets)} "
                       f"buckets and {len(regions)} regions)")
    refs = []
    for bucket, region in zip(buckets, regions):
        try:
            refs.append(BucketRef(region=region, bucket=bucket))
        except InvalidBucket as err:
            raise CliError(one_line(str(err))) from None
    return list(dict.fromkeys(refs))


def from_inventory(path: str) -> tuple[list[BucketRef], int]:
    """The buckets of `inventory --json` that could be unbound today, in this account; and how many
    of them belong to member accounts (left out: their tags need that account's keys)."""
    data = read_json_file(path, "inventory file")
    rows = data.get("buckets") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise CliError(f"inventory file {path}: not the output of `inventory --json` (no buckets list)")
    if not all(isinstance(row, dict) and "could_unbind" in row for row in rows):
        raise CliError(f"inventory file {path}: not the output of `inventory --json` (buckets without could_unbind)")
    refs, members = [], 0
    for i, row in enumerate(rows):
        if row.get("could_unbind") is not True:
            continue
        if row.get("account", "self") != "self":
            members += 1
            continue
        try:
            refs.append(BucketRef(region=row.get("region"), bucket=row.get("bucket")))
        except InvalidBucket as err:
            raise CliError(one_line(f"inventory file {path}: buckets[{i}]: {err}")) from None
    return list(dict.fromkeys(refs)), members


def not_before(text: Optional[str]) -> str:
    """The request tag's value: `true`, or the date given as YYYY-MM-DD (a real date)."""
    if text is None:
        return "true"
    if not _DATE_RE.match(text):
        raise CliError(f"--not-before takes a date as YYYY-MM-DD, not {text!r}")
    try:
        date.fromisoformat(text)
    except ValueError:
        raise CliError(f"--not-before {text!r} is not a date of the calendar") from None
    return text


def check_owner(refs, appid: Optional[str], source: str = "TENCENTCLOUD_APPID") -> None:
    """Every bucket must be the account's own: a bucket of another APPID is refused before any call.
    `source` says where the account's APPID came from: a shell's TENCENTCLOUD_APPID may be another
    account's than the keys of --profile."""
    if appid is None:
        return
    for ref in refs:
        if ref.appid != appid:
            raise CliError(f"{ref.bucket} belongs to APPID {ref.appid}, not to this account's {appid} (from "
                           f"{source}): nothing was sent")


def own_appid(settings) -> str:
    """The account's APPID: TENCENTCLOUD_APPID, else CAM GetUserAppId (a read); unknown is exit 2."""
    if settings.appid:
        return settings.appid
    from ..cloud.cam import AppIdLookup
    from ..cloud.errors import ApiError

    try:
        return AppIdLookup(settings.credentials)()[0]
    except ApiError as err:
        raise CliError(one_line(f"the account's APPID is not known (set TENCENTCLOUD_APPID, or allow "
                                f"cam:GetUserAppId): {err}")) from None
