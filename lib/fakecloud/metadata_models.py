"""The CVM instance metadata service's role keys: the CAM role bound to the instance and the
temporary keys it hands out (CVM "Instance metadata", 213/4934; CAM "CVM role", 598/85616).
State only: lib/fakecloud/metadata_handlers.py serves it over HTTP."""

import json
from dataclasses import dataclass, field
from typing import Optional

ROLE_PATH = "/latest/meta-data/cam/security-credentials/"


@dataclass
class InstanceRole:
    """What an instance's metadata service answers; `name` None is an instance with no role bound."""

    name: Optional[str]
    secret_id: str = "AKIDCVMROLETEMPORARY01"
    secret_key: str = field(default="cvm-role-temporary-secret-key", repr=False)
    token: str = field(default="cvm-role-session-token-0001", repr=False)
    expired_time: int = 4102444800  # 2100-01-01: no refresh during a test
    code: str = "Success"
    reads: list = field(default_factory=list)  # the paths asked, in order

    def answer(self, path: str) -> tuple:
        """(HTTP status, content type, body) for a GET of `path` on the metadata host."""
        self.reads.append(path)
        if not path.startswith(ROLE_PATH):
            return 404, "text/plain", b"Not Found"
        asked = path[len(ROLE_PATH):]
        if self.name is None:
            return 404, "text/plain", b"Not Found"
        if asked == "":
            return 200, "text/plain", self.name.encode()
        if asked != self.name:
            return 404, "text/plain", b"Not Found"
        body = {"TmpSecretId": self.secret_id, "TmpSecretKey": self.secret_key, "Token": self.token,
                "ExpiredTime": self.expired_time, "Expiration": "2100-01-01T00:00:00Z", "Code": self.code}
        return 200, "application/json", json.dumps(body).encode()
