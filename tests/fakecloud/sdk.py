"""Thin helpers that reach the fake only through the real SDKs, the way the product does."""

import json
from typing import Optional

from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_auth import CosS3Auth
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.tag.v20180813 import models as tag_models
from tencentcloud.tag.v20180813.tag_client import TagClient

_UNSET = object()


def cos_client(cloud, region: str = "ap-guangzhou", token=_UNSET, secret_id: Optional[str] = None,
               secret_key: Optional[str] = None, retry: int = 0) -> CosS3Client:
    conf = CosConfig(Region=region, SecretId=secret_id or cloud.secret_id,
                     SecretKey=secret_key or cloud.secret_key,
                     Token=cloud.token if token is _UNSET else token, Scheme="https")
    # No retries: a 5xx would otherwise be retried with one-second sleeps.
    return CosS3Client(conf, retry=retry)


def ci_call(client: CosS3Client, method: str, bucket: Optional[str], params: Optional[dict] = None,
            path: Optional[str] = None, headers: Optional[dict] = None, legacy_host: bool = False,
            raw: bool = False, ci_request: bool = True, url_suffix: str = "", sign_params=None):
    """The generic signed CI call (there is no SDK method for GET/PUT / or /cibuckets).

    raw=True returns the requests.Response for any status instead of raising CosServiceError.
    """
    conf = client._conf
    params = dict(params or {})
    endpoint = conf._endpoint_pic if legacy_host else conf._endpoint_ci
    url = conf.uri(bucket=bucket, path=path, endpoint=endpoint) + url_suffix
    auth = CosS3Auth(conf, path or "/", params=params if sign_params is None else sign_params)
    return client.send_request(method=method, url=url, bucket=bucket, auth=auth, params=params,
                               headers=dict(headers or {}), ci_request=ci_request, cos_request=not raw)


def ci_status(client: CosS3Client, bucket: str, accept_json: bool = False, **kw):
    headers = {"Accept": "application/json"} if accept_json else {}
    return ci_call(client, "GET", bucket, headers=headers, **kw)


def ci_unbind(client: CosS3Client, bucket: str, **kw):
    kw.setdefault("params", {"unbind": ""})
    return ci_call(client, "PUT", bucket, **kw)


def cos_call(client: CosS3Client, method: str, bucket: str, params: dict, raw: bool = True,
             headers: Optional[dict] = None, **kw):
    """A signed call to the COS (not CI) host of a bucket."""
    conf = client._conf
    url = conf.uri(bucket=bucket)
    return client.send_request(method=method, url=url, bucket=bucket,
                               auth=CosS3Auth(conf, params=params), params=params,
                               headers=dict(headers or {}), cos_request=not raw, **kw)


def tag_client(cloud, token=_UNSET, secret_id: Optional[str] = None, secret_key: Optional[str] = None,
               method: str = "POST") -> TagClient:
    cred = credential.Credential(secret_id or cloud.secret_id, secret_key or cloud.secret_key,
                                 cloud.token if token is _UNSET else token)
    profile = ClientProfile(httpProfile=HttpProfile(reqMethod=method))
    return TagClient(cred, "", profile)


def get_resources(client: TagClient, **params) -> dict:
    req = tag_models.GetResourcesRequest()
    req.from_json_string(json.dumps(params))
    return json.loads(client.GetResources(req).to_json_string())


def all_resources(client: TagClient, **params) -> list:
    """Every page of GetResources, following PaginationToken to its empty end."""
    out, token, pages = [], "", 0
    while True:
        page = get_resources(client, PaginationToken=token, **params)
        out.extend(page["ResourceTagMappingList"])
        pages += 1
        token = page["PaginationToken"]
        if not token:
            return out
        assert pages < 100, "pagination does not end"
