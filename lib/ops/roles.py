"""`setup-role`: the function's execution role, created or repaired through the CAM API.

Idempotent: the role (trusted by SCF), the custom policy made from deploy/cam-policy.json with the
account's APPID written in, and the attachment between them are each created when missing and
repaired when they differ; a second run changes nothing. `--dry-run` reads and says what it would
do. The calls (CAM API 3.0, 2019-01-16): GetUserAppId, GetRole, CreateRole,
UpdateAssumeRolePolicy, ListPolicies, GetPolicy, CreatePolicy, UpdatePolicy,
ListAttachedRolePolicies, AttachRolePolicy (https://www.tencentcloud.com/document/api/598).
"""

import json
import pathlib
import re
from dataclasses import dataclass, field
from typing import Optional

from ..buckets import InvalidBucket, validate_appid, validate_bucket_name
from ..settings import valid_state_prefix
from . import member_role
from .camapi import ROLE_MISSING
from .eventbridge import SetupError

POLICY_FILE = pathlib.Path(__file__).resolve().parents[2] / "deploy" / "cam-policy.json"
ROLE_NAME = "CosCiUnbinderRole"  # serverless.yml: role
POLICY_NAME = "CosCiUnbinderPolicy"
SCF_PRINCIPAL = "scf.qcloud.com"
TRUST_STATEMENT = {"action": "name/sts:AssumeRole", "effect": "allow", "principal": {"service": [SCF_PRINCIPAL]}}
DESCRIPTION = "cos-ci-unbinder: unbinds tagged COS buckets from Cloud Infinite"
PAGE = 200  # the largest Rp CAM's list calls take
MAX_PAGES = 50
_NAME_RE = re.compile(r"[A-Za-z0-9+=,.@_-]{1,128}")
_STATE_BUCKET, _STATE_PREFIX = "<STATE_BUCKET>", "cos-ci-unbinder/"


@dataclass(frozen=True)
class RoleOptions:
    role: str = ROLE_NAME
    policy: str = POLICY_NAME
    appid: Optional[str] = None  # None: asked of CAM (GetUserAppId) with the operator's keys
    policy_file: pathlib.Path = POLICY_FILE
    # Who may assume the role: None is SCF (the execution role); a member role names the central
    # account instead (lib/ops/member_role.py).
    trust: Optional[dict] = None
    # The state bucket (docs/operations.md): its statements are written in for it, or left out without one.
    state_bucket: Optional[str] = None
    state_prefix: str = "cos-ci-unbinder/"

    def validate(self) -> "RoleOptions":
        for label, value in (("role name", self.role), ("policy name", self.policy)):
            if not _NAME_RE.fullmatch(value or ""):
                raise SetupError(f"not a usable {label}: {value!r} (1-128 of letters, digits and +=,.@_-)")
        if self.appid is not None:
            try:
                validate_appid(self.appid)
            except InvalidBucket:
                raise SetupError(f"--appid must be digits, not {self.appid!r}") from None
        if self.state_bucket is not None:
            try:
                validate_bucket_name(self.state_bucket)
            except InvalidBucket:
                raise SetupError(f"--state-bucket must be <name>-<APPID>, not {self.state_bucket!r}") from None
        if not valid_state_prefix(self.state_prefix):
            raise SetupError(f"--state-prefix must be path segments ending in '/', not {self.state_prefix!r}")
        return self


@dataclass
class Changes:
    dry_run: bool
    done: list[str] = field(default_factory=list)  # what was changed, or would be
    notes: list[str] = field(default_factory=list)

    def add(self, verb: str, what: str) -> None:
        self.done.append(f"would {verb} {what}" if self.dry_run else f"{_PAST.get(verb, verb + 'd')} {what}")

    def lines(self, nothing: str) -> list[str]:
        out = self.done + [f"note: {n}" for n in self.notes]
        if not self.done:
            out.append(nothing)
        elif self.dry_run:
            out.append("dry run: nothing was changed")
        return out


_PAST = {"create": "created", "update": "updated", "attach": "attached", "detach": "detached",
         "delete": "deleted", "add": "added"}


def policy_document(appid: str, path: pathlib.Path = POLICY_FILE, state_bucket: Optional[str] = None,
                    state_prefix: str = _STATE_PREFIX) -> str:
    try:
        text = path.read_text(encoding="utf-8")
        json.loads(text)
    except (OSError, ValueError) as err:
        raise SetupError(f"{path.name} cannot be used: {err}") from None
    policy = json.loads(text.replace("<APPID>", appid))
    statements = []
    for st in policy.get("statement", []):
        resources = st.get("resource") or []
        if not any(_STATE_BUCKET in r for r in resources):
            statements.append(st)
        elif state_bucket:  # the state bucket's objects under its prefix only, and the bucket's reads
            statements.append({**st, "resource": [r.replace(_STATE_BUCKET, state_bucket).replace(
                "/" + _STATE_PREFIX + "*", "/" + state_prefix + "*") for r in resources]})
    return json.dumps({**policy, "statement": statements}, separators=(",", ":"))


def _same(a, b) -> bool:
    try:
        return json.loads(a) == json.loads(b) if isinstance(a, str) and isinstance(b, str) else False
    except ValueError:
        return False


def trusts_scf(document) -> bool:
    try:
        doc = json.loads(document) if isinstance(document, str) else {}
    except ValueError:
        return False
    for st in doc.get("statement") or []:
        services = ((st or {}).get("principal") or {}).get("service") or []
        services = [services] if isinstance(services, str) else services
        actions = st.get("action") or []
        actions = [actions] if isinstance(actions, str) else actions
        if st.get("effect") == "allow" and SCF_PRINCIPAL in services and "name/sts:AssumeRole" in actions:
            return True
    return False


def account_appid(api) -> str:
    answer = api.call("GetUserAppId", {})
    try:
        return validate_appid(str(answer.get("AppId")))
    except InvalidBucket:
        raise SetupError(f"GetUserAppId answered no APPID: {answer.get('AppId')!r}", api="GetUserAppId") from None


def get_role(api, name: str) -> Optional[dict]:
    try:
        return api.call("GetRole", {"RoleName": name}).get("RoleInfo") or {}
    except SetupError as err:
        if err.code in ROLE_MISSING:
            return None
        raise


def find_policy(api, name: str) -> Optional[dict]:
    """The custom policy of that exact name, or None."""
    for page in range(1, MAX_PAGES + 1):
        answer = api.call("ListPolicies", {"Keyword": name, "Scope": "Local", "Rp": PAGE, "Page": page})
        batch = answer.get("List") or []
        for policy in batch:
            if policy.get("PolicyName") == name:
                return policy
        if len(batch) < PAGE or page * PAGE >= int(answer.get("TotalNum") or 0):
            return None
    raise SetupError(f"more than {MAX_PAGES} pages of policies named like {name}", api="ListPolicies")


def attached_ids(api, role: str) -> set:
    ids = set()
    for page in range(1, MAX_PAGES + 1):
        answer = api.call("ListAttachedRolePolicies", {"RoleName": role, "Rp": PAGE, "Page": page})
        batch = answer.get("List") or []
        ids |= {p.get("PolicyId") for p in batch}
        if len(batch) < PAGE or page * PAGE >= int(answer.get("TotalNum") or 0):
            return ids
    raise SetupError(f"more than {MAX_PAGES} pages of policies on {role}", api="ListAttachedRolePolicies")


def setup_role(api, options: RoleOptions, dry_run: bool = False) -> Changes:
    """Bring the role, its policy and the attachment to the wanted state; raise SetupError on failure."""
    options.validate()
    changes = Changes(dry_run)
    appid = options.appid or account_appid(api)
    document = policy_document(appid, options.policy_file, options.state_bucket, options.state_prefix)

    statement = options.trust or TRUST_STATEMENT
    trusted_by = "SCF" if options.trust is None else "the central account"
    role = get_role(api, options.role)
    if role is None:
        if not dry_run:
            api.call("CreateRole", {"RoleName": options.role, "Description": DESCRIPTION, "ConsoleLogin": 0,
                                    "PolicyDocument": json.dumps({"version": "2.0", "statement": [statement]})})
        changes.add("create", f"role {options.role}, trusted by {trusted_by}")
    elif not (trusts_scf(role.get("PolicyDocument")) if options.trust is None
              else member_role.trusts(role.get("PolicyDocument"), statement)):
        # Keep whatever else the role trusts; add ours.
        try:
            trust = json.loads(role.get("PolicyDocument") or "")
        except ValueError:
            trust = {}
        statements = [s for s in (trust.get("statement") if isinstance(trust, dict) else None) or []]
        new_trust = {"version": "2.0", "statement": statements + [statement]}
        if not dry_run:
            api.call("UpdateAssumeRolePolicy", {"RoleName": options.role, "PolicyDocument": json.dumps(new_trust)})
        changes.add("update", f"role {options.role}: {trusted_by} may now assume it")

    policy = find_policy(api, options.policy)
    policy_id = policy.get("PolicyId") if policy else None
    if policy is None:
        if not dry_run:
            policy_id = api.call("CreatePolicy", {"PolicyName": options.policy, "PolicyDocument": document,
                                                  "Description": DESCRIPTION})["PolicyId"]
        changes.add("create", f"policy {options.policy} from {options.policy_file.name} for APPID {appid}")
    else:
        current = api.call("GetPolicy", {"PolicyId": policy_id}).get("PolicyDocument")
        if not _same(current, document):
            if not dry_run:
                api.call("UpdatePolicy", {"PolicyId": policy_id, "PolicyDocument": document})
            changes.add("update", f"policy {options.policy} ({policy_id}) to {options.policy_file.name} "
                                  f"for APPID {appid}")

    if role is None or policy is None or policy_id not in attached_ids(api, options.role):
        if not dry_run:
            api.call("AttachRolePolicy", {"PolicyId": policy_id, "AttachRoleName": options.role})
        changes.add("attach", f"policy {options.policy} to role {options.role}")
    return changes
