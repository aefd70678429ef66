"""Which CI processing service is offered in which region: one table, in code.

Sources (CI API documents, checked 2025-2026):
- DescribeDocProcessBuckets, GET /docbucket (CN 460 / 1440/54057, intl 436/46919, 1045/74910):
  `regions` takes "All, ap-shanghai, ap-beijing"; document processing is a mainland China service.
- DescribeAiProcessBucket, GET /ai_bucket (intl 436/50196, 1045/72921; POST 460/79593): the
  asynchronous AI content-recognition service is offered in mainland China regions only.
- GET /mediabucket, /picbucket, /asrbucket, /file_bucket (intl 1045/43671, 1045/72916, 436/75262):
  their pages restrict no region, so they are taken as offered wherever CI is.
- COS/CI region names: COS "Regions and Access Endpoints" (436/6224).

Why the table leans one way: skipping a service's list where it is in fact offered could miss a
blocker, so a service is marked "not offered" only where a document says so. A region the table
does not know is unknown: every list is called and a failure fails closed, as before.
"""

from typing import Optional

MAINLAND = frozenset({
    "ap-beijing", "ap-nanjing", "ap-shanghai", "ap-guangzhou", "ap-chengdu", "ap-chongqing",
    "ap-shenzhen-fsi", "ap-shanghai-fsi", "ap-beijing-fsi",
})
OUTSIDE_MAINLAND = frozenset({
    "ap-hongkong", "ap-singapore", "ap-jakarta", "ap-seoul", "ap-bangkok", "ap-tokyo", "ap-mumbai",
    "na-siliconvalley", "na-ashburn", "na-toronto", "sa-saopaulo", "eu-frankfurt",
})

# service -> the regions it is offered in; a service absent here is offered in every known region.
_ONLY_IN = {
    "doc": MAINLAND,
    "ai": MAINLAND,
}


def offered(service: str, region: str) -> Optional[bool]:
    """True or False where the table knows the region; None for a region it does not know."""
    if region not in MAINLAND and region not in OUTSIDE_MAINLAND:
        return None
    only = _ONLY_IN.get(service)
    return only is None or region in only


def not_offered(services, region: str) -> list[str]:
    """The services of `services` that the table says `region` does not offer, sorted."""
    return sorted(s for s in services if offered(s, region) is False)
