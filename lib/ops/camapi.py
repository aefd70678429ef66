"""CAM from a workstation (tencentcloud-sdk-python-cam): one JSON-in, JSON-out call, failures as
SetupError, the same shape as the EventBridge client of setup-eventbridge."""

from typing import Optional

from .eventbridge import EbApi

# GetRole's answer for a role that does not exist (errorcodes of the CAM SDK); both spellings seen.
ROLE_MISSING = ("InvalidParameter.RoleNotExist", "ResourceNotFound.RoleNotExist", "ResourceNotFound.Role")


class CamApi(EbApi):
    @classmethod
    def connect(cls, secret_id: str, secret_key: str, token: Optional[str], region: str = "",
                endpoint: str = "cam.tencentcloudapi.com", timeout: int = 15) -> "CamApi":
        from tencentcloud.cam.v20190116 import cam_client, models

        from ..cloud import api3

        # CAM is global: no region.
        return cls(api3.client(cam_client.CamClient, secret_id, secret_key, token, "", endpoint, timeout), models)
