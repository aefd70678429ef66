"""Live bucket tags through COS GetBucketTagging: the event is only a hint, the tags decide."""

from ..buckets import BucketRef
from .cos import DEFAULT_RETRY, CosClients, RetryPolicy, Trace, get_document, read, translate
from .errors import ApiError

API = "GET /?tagging"


class TagReader:
    def __init__(self, clients: CosClients, retry: RetryPolicy = DEFAULT_RETRY):
        self._clients = clients
        self._retry = retry

    def read(self, ref: BucketRef, trace: Trace) -> dict:
        """The bucket's tags as {key: value}; {} when it has none (NoSuchTagSet)."""
        client = self._clients.for_region(ref.region)

        def call():
            # The SDK's get_bucket_tagging drops the response headers, and with them the request
            # id; this is the same signed request, with the answer's shape checked.
            try:
                data, request_id, status = get_document(client, API, ref.cos_host, ref.bucket, None,
                                                        {"tagging": ""}, "Tagging", ci=False)
            except Exception as exc:
                err = translate(API, exc)
                if err.http_status == 404 and err.code == "NoSuchTagSet":
                    return {}, err.request_id, 404
                raise err from None
            return parse_tagging(data), request_id, status

        return read(API, trace, self._retry, call)


def parse_tagging(data: dict) -> dict:
    tag_set = data.get("TagSet")
    if tag_set is None:
        return {}
    if not isinstance(tag_set, dict):
        raise ApiError(api=API, code="MalformedResponse", message="TagSet is not a list of tags")
    items = tag_set.get("Tag") or []
    items = items if isinstance(items, list) else [items]
    tags = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("Key"), str):
            raise ApiError(api=API, code="MalformedResponse", message="a tag without a Key")
        value = item.get("Value")
        tags[item["Key"]] = value if isinstance(value, str) else ""
    return tags
