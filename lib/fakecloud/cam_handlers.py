"""CAM API (API 3.0, JSON, version 2019-01-16): the account's APPID, and the role calls of setup-role.

The function calls only GetUserAppId; the rest serve `setup-role` and `teardown --role`, which run
with the operator's keys.
"""

import functools

from .cam_models import CamError, policy_summary, role_view
from .wire import Reply, Request, ServiceError, api3_params, json_reply

MAX_RP = 200


def _api(handler):
    @functools.wraps(handler)
    def wrapped(cloud, req: Request) -> Reply:
        try:
            body = handler(cloud.cam, api3_params(req, "InvalidParameter.ParamError"))
        except CamError as e:
            raise ServiceError(200, e.code, e.message) from None
        return json_reply({"Response": {**body, "RequestId": req.request_id}})

    return wrapped


def _role_name(params: dict, key: str = "RoleName") -> str:
    name = params.get(key)
    if not isinstance(name, str) or not name:
        raise CamError("InvalidParameter.RoleNameError", f"{key} is required.")
    return name


def _policy_id(params: dict) -> int:
    value = params.get("PolicyId")
    if not isinstance(value, int) or isinstance(value, bool):
        raise CamError("InvalidParameter.PolicyIdError", "PolicyId must be an integer.")
    return value


def _paging(params: dict) -> tuple[int, int]:
    page, rp = params.get("Page", 1), params.get("Rp", 20)
    if not isinstance(page, int) or page < 1 or not isinstance(rp, int) or not 1 <= rp <= MAX_RP:
        raise CamError("InvalidParameter.ParamError", f"Page is 1 or more; Rp between 1 and {MAX_RP}.")
    return page, rp


@_api
def get_user_app_id(cam, params: dict) -> dict:
    return {"Uin": cam.uin, "OwnerUin": cam.owner_uin, "AppId": int(cam.appid)}


@_api
def get_role(cam, params: dict) -> dict:
    return {"RoleInfo": role_view(cam.role(_role_name(params)))}


@_api
def create_role(cam, params: dict) -> dict:
    role = cam.add_role(_role_name(params), params.get("PolicyDocument"), params.get("Description") or "")
    return {"RoleId": role.id}


@_api
def update_assume_role_policy(cam, params: dict) -> dict:
    cam.set_trust(_role_name(params), params.get("PolicyDocument"))
    return {}


@_api
def delete_role(cam, params: dict) -> dict:
    cam.delete_role(_role_name(params))
    return {}


@_api
def list_policies(cam, params: dict) -> dict:
    page, rp = _paging(params)
    scope = params.get("Scope") or "All"
    if scope not in ("All", "QCS", "Local"):
        raise CamError("InvalidParameter.ParamError", "Scope is All, QCS or Local.")
    keyword = params.get("Keyword") or ""
    with cam.lock:
        found = [p for p in sorted(cam.policies.values(), key=lambda p: p.id)
                 if keyword in p.name and (scope == "All" or (scope == "Local") == (p.type == 1))]
        counts = {p.id: sum(p.id in r.policies for r in cam.roles.values()) for p in found}
    chosen = found[(page - 1) * rp:page * rp]
    return {"TotalNum": len(found), "List": [policy_summary(p, counts[p.id]) for p in chosen]}


@_api
def get_policy(cam, params: dict) -> dict:
    policy = cam.policy(_policy_id(params))
    view = policy_summary(policy, 0)
    return {"PolicyName": policy.name, "Description": policy.description, "Type": policy.type,
            "AddTime": view["AddTime"], "UpdateTime": view["UpdateTime"], "PolicyDocument": policy.document}


@_api
def create_policy(cam, params: dict) -> dict:
    policy = cam.add_policy(params.get("PolicyName"), params.get("PolicyDocument"), params.get("Description") or "")
    return {"PolicyId": policy.id}


@_api
def update_policy(cam, params: dict) -> dict:
    cam.update_policy(_policy_id(params), params.get("PolicyDocument"))
    return {}


@_api
def delete_policy(cam, params: dict) -> dict:
    ids = params.get("PolicyId")
    if not isinstance(ids, list) or not ids:
        raise CamError("InvalidParameter.PolicyIdError", "PolicyId is a list of policy ids.")
    for policy_id in ids:
        cam.delete_policy(policy_id)
    return {}


@_api
def attach_role_policy(cam, params: dict) -> dict:
    cam.attach(_role_name(params, "AttachRoleName"), _policy_id(params))
    return {}


@_api
def detach_role_policy(cam, params: dict) -> dict:
    cam.detach(_role_name(params, "DetachRoleName"), _policy_id(params))
    return {}


@_api
def list_attached_role_policies(cam, params: dict) -> dict:
    page, rp = _paging(params)
    attached = cam.attached_to(_role_name(params))
    return {"TotalNum": len(attached), "List": [
        {"PolicyId": p.id, "PolicyName": p.name, "AddTime": policy_summary(p, 1)["AddTime"], "PolicyType": "User",
         "CreateMode": 1, "Description": p.description} for p in attached[(page - 1) * rp:page * rp]]}


ACTIONS = {
    "GetUserAppId": get_user_app_id, "GetRole": get_role, "CreateRole": create_role,
    "UpdateAssumeRolePolicy": update_assume_role_policy, "DeleteRole": delete_role, "ListPolicies": list_policies,
    "GetPolicy": get_policy, "CreatePolicy": create_policy, "UpdatePolicy": update_policy,
    "DeletePolicy": delete_policy, "AttachRolePolicy": attach_role_policy, "DetachRolePolicy": detach_role_policy,
    "ListAttachedRolePolicies": list_attached_role_policies,
}
