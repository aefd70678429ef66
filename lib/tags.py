"""Live bucket tags through COS GetBucketTagging: the event is only a hint, the tags decide."""

from qcloud_cos.cos_auth import CosS3Auth
from qcloud_cos.cos_comm import xml_to_dict

from .buckets import BucketRef
from .cosapi import DEFAULT_RETRY, CosClients, RetryPolicy, Trace, translate
from .errors import ApiError

API = "GET /?tagging"


class TagReader:
    def __init__(self, clients: CosClients, retry: RetryPolicy = DEFAULT_RETRY):
        self._clients = clients
        self._retry = retry

    def read(self, ref: BucketRef, trace: Trace) -> dict:
        """The bucket's tags as {key: value}; {} when it has none (NoSuchTagSet)."""
        client = self._clients.for_region(ref.region)

        def attempt():
            # The SDK's get_bucket_tagging drops the response headers, and with them the request
            # id; this is the same signed request, sent so that the headers are kept.
            params = {"tagging": ""}
            url = client._conf.uri(bucket=ref.bucket)
            if url.split("://", 1)[-1].rstrip("/") != ref.cos_host:
                raise ApiError(api=API, code="InvalidHost", message="refusing an unexpected COS host")
            try:
                resp = client.send_request(method="GET", url=url, bucket=ref.bucket,
                                           auth=CosS3Auth(client._conf, params=params), headers={},
                                           params=params)
                data = xml_to_dict(resp.content)
            except Exception as exc:
                err = translate(API, exc)
                if err.http_status == 404 and err.code == "NoSuchTagSet":
                    return {}, err.request_id
                raise err from None
            return parse_tagging(data), resp.headers.get("x-cos-request-id", "")

        try:
            tags, request_id = self._retry.call(attempt)
        except ApiError as err:
            trace.add_error(err)
            raise
        trace.add(API, request_id)
        return tags


def parse_tagging(data) -> dict:
    if not isinstance(data, dict):
        raise ApiError(api=API, code="MalformedResponse", message="tagging answer is not a document")
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
