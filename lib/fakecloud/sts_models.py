"""STS state: CAM roles in each account, who may assume them, and the temporary keys handed out.

A role trusts the accounts named in its trust policy; AssumeRole by a caller of another account is
refused. The keys it issues belong to the role's account only and expire after DurationSeconds.
"""

import re
import secrets
from dataclasses import dataclass

from .wire import ServiceError

MIN_DURATION, MAX_DURATION, DEFAULT_DURATION = 900, 43200, 7200
_ARN_RE = re.compile(r"qcs::cam::uin/(?P<uin>[0-9]+):roleName/(?P<name>[A-Za-z0-9+=,.@_-]{1,128})")
_SESSION_RE = re.compile(r"[\w+=,.@-]{2,128}")


@dataclass
class Role:
    account: object
    name: str
    trusted_uins: frozenset

    @property
    def arn(self) -> str:
        return f"qcs::cam::uin/{self.account.uin}:roleName/{self.name}"


@dataclass
class Issued:
    secret_id: str
    secret_key: str
    token: str
    expires: int


class Sts:
    def __init__(self, cloud):
        self._cloud = cloud
        self.roles: dict[str, Role] = {}
        self.issued: list[tuple[str, str]] = []  # (role ARN, SecretId) of every key handed out

    def add_role(self, account, name: str, trusted_uins) -> Role:
        role = Role(account, name, frozenset(str(u) for u in trusted_uins))
        self.roles[role.arn] = role
        return role

    def assume(self, caller, arn: str, session_name: str, duration) -> Issued:
        if not isinstance(arn, str) or not _ARN_RE.fullmatch(arn):
            raise ServiceError(200, "InvalidParameter.ParamError", "RoleArn is not a role ARN.")
        if not isinstance(session_name, str) or not _SESSION_RE.fullmatch(session_name):
            raise ServiceError(200, "InvalidParameter.ParamError", "RoleSessionName is invalid.")
        if duration in (None, ""):
            duration = DEFAULT_DURATION
        if isinstance(duration, str) and duration.isdigit():  # the SDK's GET form sends strings
            duration = int(duration)
        if not isinstance(duration, int) or not MIN_DURATION <= duration <= MAX_DURATION:
            raise ServiceError(200, "InvalidParameter.OverTimeError",
                               f"DurationSeconds must be between {MIN_DURATION} and {MAX_DURATION}.")
        role = self.roles.get(arn)
        if role is None:
            raise ServiceError(200, "ResourceNotFound.RoleNotFound", "The role does not exist.")
        if caller.uin not in role.trusted_uins:
            raise ServiceError(200, "UnauthorizedOperation", "The role's trust policy does not name the caller.")
        issued = Issued(secret_id="AKIDtmp" + secrets.token_hex(12), secret_key=secrets.token_hex(16),
                        token="tok" + secrets.token_hex(24), expires=int(self._cloud.now()) + duration)
        self._cloud.keys.add(issued.secret_id, issued.secret_key, role.account, issued.token, issued.expires)
        self.issued.append((arn, issued.secret_id))
        return issued
