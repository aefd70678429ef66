"""The fake takes only what the real services should get: https, and API 3.0 signatures that cover
the host and the body's type (issue 19, item 8)."""

import json
import time

import pytest
import requests

from lib.fakecloud import FakeCloud
from lib.fakecloud.core import PlainHttpRefused, UnknownRequest
from lib.fakecloud.signing import AuthFailure, tc3_signature, verify_tc3_request

SECRET_ID, SECRET_KEY = "AKIDTRANSPORT000", "transport-secret"


def test_plain_http_is_refused_and_fails_a_strict_cloud():
    cloud = FakeCloud(secret_id=SECRET_ID, secret_key=SECRET_KEY)
    with pytest.raises(UnknownRequest, match="plain http GET http://service.cos.myqcloud.com/"):
        with cloud:
            with pytest.raises(PlainHttpRefused, match="refuses plain http"):
                requests.get("http://service.cos.myqcloud.com/", timeout=5)
    assert cloud.calls == []  # nothing was served


def _signed(signed_headers, headers, body=b"{}"):
    ts = int(time.time())
    date = time.strftime("%Y-%m-%d", time.gmtime(ts))
    headers = {**headers, "x-tc-timestamp": str(ts)}
    import hashlib

    sig = tc3_signature(SECRET_KEY, "POST", "/", "", headers, signed_headers, hashlib.sha256(body).hexdigest(),
                        str(ts), date, "tag")
    auth = (f"TC3-HMAC-SHA256 Credential={SECRET_ID}/{date}/tag/tc3_request, "
            f"SignedHeaders={';'.join(signed_headers)}, Signature={sig}")
    return auth, headers, ts


BASE = {"content-type": "application/json", "host": "tag.tencentcloudapi.com"}


def test_a_signature_over_content_type_and_host_is_accepted():
    auth, headers, ts = _signed(["content-type", "host"], BASE)
    assert verify_tc3_request(auth, "POST", "/", "", headers, BASE["host"], b"{}", {SECRET_ID: SECRET_KEY}, ts,
                              None, "tag") == SECRET_ID


@pytest.mark.parametrize("signed, missing", [(["host"], "content-type"), (["content-type"], "host"),
                                             (["x-tc-timestamp"], "content-type and host")])
def test_a_correct_signature_that_leaves_host_or_content_type_unsigned_is_refused(signed, missing):
    auth, headers, ts = _signed(signed, BASE)
    with pytest.raises(AuthFailure) as info:
        verify_tc3_request(auth, "POST", "/", "", headers, BASE["host"], b"{}", {SECRET_ID: SECRET_KEY}, ts,
                           None, "tag")
    assert info.value.kind == "signature" and f"must include {missing}" in info.value.message


def test_the_sdk_signs_what_the_fake_requires():
    # The real SDK's requests pass: the requirement matches what the client does.
    from tencentcloud.common import credential
    from tencentcloud.tag.v20180813 import models, tag_client

    cloud = FakeCloud(secret_id=SECRET_ID, secret_key=SECRET_KEY)
    with cloud:
        client = tag_client.TagClient(credential.Credential(SECRET_ID, SECRET_KEY), "ap-guangzhou")
        req = models.GetResourcesRequest()
        req.from_json_string(json.dumps({"MaxResults": 10}))
        assert client.GetResources(req).ResourceTagMappingList == []
