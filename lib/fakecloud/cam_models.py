"""State of the fake CAM: the account's identity, its roles and custom policies. No HTTP here.

Only what the function (GetUserAppId) and `setup-role` / `teardown --role` need is modelled, with
the limits the CAM API reference states. Error codes are those of the CAM SDK's errorcodes module.
"""

import json
import re
import threading
from datetime import datetime, timezone
from typing import Callable, Optional

# Role names: letters, digits and +=,.@_- (1-128). Policy names: the same set.
_NAME_RE = re.compile(r"[A-Za-z0-9+=,.@_-]{1,128}")
MAX_POLICY_DOCUMENT = 6144
# Custom policies are type 1; preset (QCS) policies type 2.
CUSTOM, PRESET = 1, 2


class CamError(Exception):
    """A request CAM refuses; the handlers turn it into an API 3.0 error answer."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def check_document(document, code: str = "InvalidParameter.PolicyDocumentError") -> str:
    """A policy document: a JSON object with a version and a non-empty statement list."""
    try:
        parsed = json.loads(document) if isinstance(document, str) else None
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict) or parsed.get("version") != "2.0" or not parsed.get("statement"):
        raise CamError(code, "PolicyDocument must be a JSON policy with version 2.0 and a statement.")
    if len(document) > MAX_POLICY_DOCUMENT:
        raise CamError("InvalidParameter.PolicyDocumentLengthOverLimit", "PolicyDocument is too long.")
    return document


class Role:
    def __init__(self, id: str, name: str, trust: str, description: str, now: float):
        self.id = id
        self.name = name
        self.trust = trust
        self.description = description
        self.add_time = self.update_time = now
        self.policies: list[int] = []  # attached policy ids, in attach order


class Policy:
    def __init__(self, id: int, name: str, document: str, description: str, now: float, type: int = CUSTOM):
        self.id = id
        self.name = name
        self.document = document
        self.description = description
        self.type = type
        self.add_time = self.update_time = now


class Cam:
    """One account's identity, roles and policies."""

    def __init__(self, appid: str, lock: Optional[threading.RLock] = None,
                 clock: Optional[Callable[[], float]] = None, uin: str = "100000000001"):
        self.appid = appid
        self.uin = uin
        self.owner_uin = uin
        self.lock = lock or threading.RLock()
        self._clock = clock or (lambda: 0.0)
        self.roles: dict[str, Role] = {}  # by name
        self.policies: dict[int, Policy] = {}
        self._ids = iter(range(200000001, 10**10))

    def _now(self) -> float:
        return float(self._clock())

    # --- roles ------------------------------------------------------------------------------

    def role(self, name) -> Role:
        role = self.roles.get(name) if isinstance(name, str) else None
        if role is None:
            raise CamError("InvalidParameter.RoleNotExist", f"role {name} does not exist")
        return role

    def add_role(self, name, trust, description: str = "") -> Role:
        with self.lock:
            if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
                raise CamError("InvalidParameter.RoleNameError", "RoleName: 1-128 of letters, digits and +=,.@_-")
            if name in self.roles:
                raise CamError("InvalidParameter.RoleNameInUse", f"role {name} already exists")
            role = Role(str(4611686018427000000 + next(self._ids)), name,
                        check_document(trust, "InvalidParameter.PolicyDocumentError"), description or "", self._now())
            self.roles[name] = role
            return role

    def set_trust(self, name, trust) -> None:
        with self.lock:
            role = self.role(name)
            role.trust = check_document(trust)
            role.update_time = self._now()

    def delete_role(self, name) -> None:
        with self.lock:
            self.role(name)
            del self.roles[name]

    # --- policies ---------------------------------------------------------------------------

    def policy(self, policy_id) -> Policy:
        policy = self.policies.get(policy_id) if isinstance(policy_id, int) else None
        if policy is None:
            raise CamError("ResourceNotFound.PolicyIdNotFound", f"policy {policy_id} does not exist")
        return policy

    def add_policy(self, name, document, description: str = "", type: int = CUSTOM) -> Policy:
        with self.lock:
            if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
                raise CamError("InvalidParameter.PolicyNameError", "PolicyName: 1-128 of letters, digits and +=,.@_-")
            if any(p.name == name for p in self.policies.values()):
                raise CamError("FailedOperation.PolicyNameInUse", f"policy {name} already exists")
            policy = Policy(next(self._ids), name, check_document(document), description or "", self._now(), type)
            self.policies[policy.id] = policy
            return policy

    def update_policy(self, policy_id, document) -> None:
        with self.lock:
            policy = self.policy(policy_id)
            if policy.type != CUSTOM:
                raise CamError("OperationDenied.CicPolicyOperationDenied", "a preset policy cannot be changed")
            policy.document = check_document(document)
            policy.update_time = self._now()

    def delete_policy(self, policy_id) -> None:
        with self.lock:
            policy = self.policy(policy_id)
            # The reference does not say whether an attached policy may be deleted; refusing makes a
            # test see teardown detach it first, which is right either way.
            if any(policy.id in r.policies for r in self.roles.values()):
                raise CamError("InvalidParameter.PolicyIdError", f"policy {policy_id} is still attached")
            del self.policies[policy.id]

    def attach(self, role_name, policy_id) -> None:
        with self.lock:
            role, policy = self.role(role_name), self.policy(policy_id)
            if policy.id not in role.policies:
                role.policies.append(policy.id)

    def detach(self, role_name, policy_id) -> None:
        with self.lock:
            role, policy = self.role(role_name), self.policy(policy_id)
            if policy.id in role.policies:
                role.policies.remove(policy.id)

    def attached_to(self, role_name) -> list[Policy]:
        with self.lock:
            return [self.policies[i] for i in self.role(role_name).policies]


def role_view(role: Role) -> dict:
    return {"RoleId": role.id, "RoleName": role.name, "PolicyDocument": role.trust, "Description": role.description,
            "AddTime": _stamp(role.add_time), "UpdateTime": _stamp(role.update_time), "ConsoleLogin": 0,
            "RoleType": "user", "SessionDuration": 7200}


def policy_summary(policy: Policy, attached: int) -> dict:
    return {"PolicyId": policy.id, "PolicyName": policy.name, "AddTime": _stamp(policy.add_time),
            "Type": policy.type, "Description": policy.description, "CreateMode": 1 if policy.type == CUSTOM else 2,
            "Attachments": attached, "IsAttached": 1 if attached else 0, "UpdateTime": _stamp(policy.update_time)}
