"""Bucket names, regions and the hosts built from them.

Every host this function talks to is built here, and only from parts that passed validation, so a
crafted bucket name or region can never steer a signed request to another host.
"""

import re
from dataclasses import dataclass
from typing import Optional

# COS: lower-case letters, digits and '-', not at either end, then '-<APPID>'. The whole name is one
# DNS label of the request host, hence the 63-character cap.
_BUCKET_RE = re.compile(r"^(?P<short>[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?)-(?P<appid>[0-9]{6,12})\Z")
_SHORT_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?\Z")
_APPID_RE = re.compile(r"^[0-9]{6,12}\Z")
# ap-guangzhou, na-siliconvalley, ap-shanghai-fsi, ap-beijing-1 ...
_REGION_RE = re.compile(r"^[a-z]{2,10}(?:-[a-z]{2,20}){1,2}(?:-[0-9]{1,2})?\Z")


class InvalidBucket(ValueError):
    """A bucket name, region or resource string that must not reach a request."""


def validate_bucket_name(name: object) -> str:
    if not isinstance(name, str) or len(name) > 63 or not _BUCKET_RE.match(name):
        raise InvalidBucket(f"invalid bucket name {name!r}: expected <name>-<APPID> (a-z, 0-9, '-')")
    return name


def validate_region(region: object) -> str:
    if not isinstance(region, str) or len(region) > 40 or not _REGION_RE.match(region):
        raise InvalidBucket(f"invalid region {region!r}: expected a COS region such as ap-guangzhou")
    return region


def validate_appid(appid: object) -> str:
    if not isinstance(appid, str) or not _APPID_RE.match(appid):
        raise InvalidBucket(f"invalid APPID {appid!r}: expected digits")
    return appid


def join_bucket(short: str, appid: str) -> str:
    if not _SHORT_RE.match(short or ""):
        raise InvalidBucket(f"invalid bucket short name {short!r}")
    return validate_bucket_name(f"{short}-{validate_appid(appid)}")


@dataclass(frozen=True, order=True)
class BucketRef:
    """A validated (region, bucket) pair. Construction fails on anything else."""

    region: str
    bucket: str

    def __post_init__(self):
        validate_bucket_name(self.bucket)
        validate_region(self.region)

    @property
    def appid(self) -> str:
        return self.bucket.rsplit("-", 1)[1]

    @property
    def ci_host(self) -> str:
        return f"{self.bucket}.ci.{self.region}.myqcloud.com"

    @property
    def cos_host(self) -> str:
        return f"{self.bucket}.cos.{self.region}.myqcloud.com"

    def as_dict(self) -> dict:
        return {"bucket": self.bucket, "region": self.region}


def ci_service_host(region: str) -> str:
    return f"ci.{validate_region(region)}.myqcloud.com"


# Tag-service six-segment forms of a COS bucket (see the Tag API docs on special resource types):
#   qcs::cos:<region>:uid/<appid>:prefix/<short>
#   qcs::cos:<region>:uid/<appid>:prefix//<appid>/<short>
#   qcs::cos:<region>:uid/<projAppId>:<short>-<projAppId>        (legacy project AppID)
# EventBridge subjects also write the account as 'uid<appid>' without the slash, and CAM-style
# strings may carry a trailing object path; both are accepted.
_QCS_COS_RE = re.compile(
    r"^qcs::cos:(?P<region>[^:]*):uid/?(?P<uid>[0-9]*):(?P<rest>.+)\Z"
)


def parse_cos_resource(resource: object, default_region: Optional[str] = None) -> BucketRef:
    """Parse a COS bucket resource string into a BucketRef, or raise InvalidBucket."""
    region, bucket = cos_resource_parts(resource)
    return BucketRef(region=validate_region(region or default_region), bucket=bucket)


def cos_resource_parts(resource: object) -> tuple[Optional[str], str]:
    """(region segment or None when empty, validated bucket name) of a COS resource string."""
    if not isinstance(resource, str):
        raise InvalidBucket(f"resource is not a string: {resource!r}")
    m = _QCS_COS_RE.match(resource)
    if not m:
        raise InvalidBucket(f"not a COS bucket resource: {resource!r}")
    region = m.group("region") or None
    uid, rest = m.group("uid"), m.group("rest")
    if rest.startswith("prefix//"):
        parts = rest[len("prefix//"):].split("/")
        if len(parts) != 2 or (uid and parts[0] != uid):
            raise InvalidBucket(f"unrecognised COS resource: {resource!r}")
        bucket = join_bucket(parts[1], parts[0])
    elif rest.startswith("prefix/"):
        short = rest[len("prefix/"):]
        if not uid:
            raise InvalidBucket(f"COS resource without an APPID: {resource!r}")
        bucket = join_bucket(short, uid)
    else:
        # '<bucket>-<appid>' (legacy form, EventBridge subjects) or CAM-style '<bucket>/<path>'.
        # The account id before it may be a UIN, so only the bucket's own suffix is trusted.
        bucket = validate_bucket_name(rest.split("/", 1)[0])
    return region, bucket
