"""API 3.0 clients: each service has its own tencentcloud-sdk-python-<product> client, all signed
and configured the same way (tencentcloud-sdk-python-common)."""

from typing import Optional


def client(client_class, secret_id: str, secret_key: str, token: Optional[str], region: str, endpoint: str,
           timeout: int):
    """`client_class` (e.g. tag_client.TagClient) with these keys, at `endpoint`; a global service
    (Tag, CAM) still takes a region string, which may be empty."""
    # Imported here: the SDK's common package is loaded only by what calls an API 3.0 service.
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile

    cred = credential.Credential(secret_id, secret_key, token)
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=endpoint, reqTimeout=timeout))
    return client_class(cred, region, profile)
