"""deploy/cam-policy.json against the CAM actions the function's code is seen to use.

The `cloud` fixture of tests/conftest.py collects the actions the fake served in each product
test; tests/test_zz_cam_policy.py, run last, compares them with the policy. A partial run (-k, -m, one file, a node id) is not compared: it
cannot know what the code needs.
"""

import json
import pathlib
from collections.abc import Iterable

ROOT = pathlib.Path(__file__).resolve().parent.parent
POLICY = ROOT / "deploy" / "cam-policy.json"
# What the central function adds when it works over member accounts (docs/accounts.md).
CENTRAL_POLICY = ROOT / "deploy" / "cam-policy-central.json"
TESTS = ROOT / "tests"
# The services the function calls (CAM: GetUserAppId only; STS and SCF for many accounts). The fake also serves EventBridge and
# CAM's role calls, for setup-eventbridge, setup-role and teardown, which run with the operator's
# keys on a fake of their own and are no business of the function's role.
FUNCTION_SERVICES = ("ci", "cos", "tag", "cam", "sts", "scf")

# Filled over a run by tests/conftest.py (kept here, in one module object, for the final test to
# read): the CAM actions the fake served to product tests, and whether the run is partial.
ACTIONS_USED: set = set()
RUN = {"partial": False}


def load_policy(path: pathlib.Path = POLICY) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def granted_actions(policy: dict) -> set[str]:
    """Every action of every allow statement, without CAM's 'name/' prefix."""
    out = set()
    for statement in policy["statement"]:
        if statement.get("effect") != "allow":
            continue
        for action in statement["action"]:
            out.add(action[len("name/"):] if action.startswith("name/") else action)
    return out


def all_granted() -> set[str]:
    """Every action the function may need: its own account's policy and the central additions."""
    return granted_actions(load_policy()) | granted_actions(load_policy(CENTRAL_POLICY))


def function_actions(actions: Iterable[str]) -> set[str]:
    return {a for a in actions if a.split(":", 1)[0] in FUNCTION_SERVICES}


def compare(granted: Iterable[str], used: Iterable[str]) -> tuple[list[str], list[str]]:
    """(missing, unused): what the code used that the policy lacks, and what it grants unused."""
    granted, used = set(granted), function_actions(used)
    return sorted(used - granted), sorted(granted - used)


def problem(granted: Iterable[str], used: Iterable[str]) -> str:
    """A message for a policy that is not exactly what the code uses, or '' when it is."""
    missing, unused = compare(granted, used)
    lines = []
    if missing:
        lines.append(f"{POLICY.relative_to(ROOT)} lacks actions the function used: {', '.join(missing)}")
    if unused:
        lines.append(f"{POLICY.relative_to(ROOT)} grants actions the function never used: {', '.join(unused)}")
    return "\n".join(lines)


def product_test_files() -> set[pathlib.Path]:
    """The suite the comparison needs: every top-level test module (tests/fakecloud/ tests the fake)."""
    return {p.resolve() for p in TESTS.glob("test_*.py")}
