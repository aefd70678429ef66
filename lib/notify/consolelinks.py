"""Console addresses for the people who must act on a blocker.

The CI documents give one console address: the bucket management page,
https://console.cloud.tencent.com/ci/bucket ("Log in to the CI console and click Bucket Management
... click the target bucket", e.g. cloud.tencent.com/document/product/460/46488 and the
intl.cloud.tencent.com/document/product/1045 guides). They document no address for one workflow,
batch job or service setting: those are reached from the bucket's own pages (Workflow, Batch
processing, each processing service, Content Moderation). So each link opens the bucket's CI page
(`bucket` and `region` in the query, as the console itself opens a bucket), and the label says
where to click from there. Only validated bucket names and regions go into a link.
"""

from typing import Optional

from ..buckets import InvalidBucket, validate_bucket_name, validate_region

CI_BUCKETS_PAGE = "https://console.cloud.tencent.com/ci/bucket"

# Where, on the bucket's CI page, each kind of blocker is changed.
_PLACES = {
    "workflow": "Workflow",
    "batch_job": "Batch processing",
    "unbind_refused": "Content Moderation (automatic and historical review)",
}
_SERVICE_PLACES = {
    "media": "Media Processing", "pic": "Image Processing", "doc": "Document Processing",
    "asr": "Smart Audio (ASR)", "file": "File Processing", "ai": "AI Content Recognition",
}


def bucket_page(bucket: str, region: str) -> str:
    """The bucket's page in the CI console; the bucket list when the name or region is not valid."""
    try:
        validate_bucket_name(bucket)
        validate_region(region)
    except InvalidBucket:
        return CI_BUCKETS_PAGE
    # Validated names and regions are letters, digits and '-': nothing in them needs quoting.
    return f"{CI_BUCKETS_PAGE}?bucket={bucket}&region={region}"


def place(reason: dict) -> Optional[str]:
    """Where on the bucket's CI page this reason is dealt with; None when no console page helps."""
    code = reason.get("code")
    if code == "service_enabled":
        return _SERVICE_PLACES.get(str(reason.get("service")), "the processing services")
    return _PLACES.get(code)


def link(bucket: str, region: str, reason: dict, page: Optional[str] = None) -> Optional[dict]:
    """{'url', 'label'} for a reason a person can fix in the console, else None. `page`: the
    bucket's page, when the caller has it already."""
    where = place(reason)
    if where is None:
        return None
    return {"url": page or bucket_page(bucket, region), "label": f"CI console: {where}"}
