"""`setup-role --member`: the role a member account gives the central function.

The same steps as the execution role (lib/ops/roles.py: role, custom policy from
deploy/cam-policy.json with this account's APPID, attachment; idempotent, `--dry-run`), run with
the member account's keys, with two differences: the role is trusted by the central account
(deploy/member-role-trust.json, `qcs::cam::uin/<CENTRAL_UIN>:root`) instead of by SCF, and its
default names are the member ones. The central account's role is then allowed to assume it by
deploy/cam-policy-central.json (docs/accounts.md).
"""

import json
import pathlib
import re

from .eventbridge import SetupError

TRUST_FILE = pathlib.Path(__file__).resolve().parents[2] / "deploy" / "member-role-trust.json"
ROLE_NAME = "CosCiUnbinderMember"
POLICY_NAME = "CosCiUnbinderMemberPolicy"
_UIN_RE = re.compile(r"[1-9][0-9]{4,19}")


def trust_statement(central_uin: str, path: pathlib.Path = TRUST_FILE) -> dict:
    """The one statement of the member trust policy, for this central account."""
    if not _UIN_RE.fullmatch(central_uin or ""):
        raise SetupError(f"--central-uin must be the central account's UIN (digits), not {central_uin!r}")
    try:
        document = json.loads(path.read_text(encoding="utf-8").replace("<CENTRAL_UIN>", central_uin))
        (statement,) = document["statement"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise SetupError(f"{path.name} cannot be used: {err}") from None
    return statement


def _listed(value) -> list:
    return [value] if isinstance(value, str) else list(value or [])


def trusts(document, statement: dict) -> bool:
    """Whether a role's trust policy already has an allow statement that covers `statement`."""
    try:
        doc = json.loads(document) if isinstance(document, str) else {}
    except ValueError:
        return False
    wanted = {k: set(_listed(v)) for k, v in statement["principal"].items()}
    for st in (doc.get("statement") if isinstance(doc, dict) else None) or []:
        if not isinstance(st, dict) or st.get("effect") != "allow":
            continue
        if "name/sts:AssumeRole" not in _listed(st.get("action")):
            continue
        principal = st.get("principal") if isinstance(st.get("principal"), dict) else {}
        if all(names <= set(_listed(principal.get(kind))) for kind, names in wanted.items()):
            return True
    return False
