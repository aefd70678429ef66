"""Which CI processing service is thought to be offered in which region: one table, in code.

What the sources say (CI API documents, read 2025-2026), and no more:
- GET /docbucket (CN 460/1440/54057, intl 436/46919, 1045/74910): the `regions` parameter is
  described with example values "All, ap-shanghai, ap-beijing". That is an example of the filter,
  not a statement that document processing is mainland-only; the /asrbucket page words it the same
  way, and the table takes speech recognition as offered everywhere.
- GET /ai_bucket (intl 436/50196, 1045/50315): the `regions` parameter "supports mainland China
  regions". The current CN page (460/79594, 2025-08) drops that phrase and says only that, without
  `regions`, the Host's region answers.
- GET /mediabucket, /picbucket, /asrbucket, /file_bucket (intl 1045/43671, 1045/72916, 436/75262):
  their pages restrict no region.
- COS/CI region names: COS "Regions and Access Endpoints" (436/6224).

So "not offered" here is a weak prior, and it is used only to read a failure, never to skip a
call: every list is asked in every region (lib/checks.py). Where the table says not offered and
the list answers, the answer counts like any other (a listed bucket is blocked). Only there does a
list that fails without answering mean "not offered", said once per region in the report with the
failing call. Where the table says offered, or does not know the region, a failure is an `error`.
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

