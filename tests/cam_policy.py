"""The function's CAM policies against the table of lib/ops/permissions.py, and that table against
the requests the function's code is seen to make.

The policies must grant exactly the table's actions (the names come from Tencent's documents, not
from the fake). The `cloud` fixture of tests/conftest.py collects the requests the fake served in
each product test; tests/test_zz_cam_policy.py, run last, checks each has its row in the table and
each row was needed. A partial run (-k, -m, one file, a node id) cannot know every request and
skips that half.
"""

import json
import pathlib
from collections.abc import Iterable

from lib.ops import permissions

ROOT = pathlib.Path(__file__).resolve().parent.parent
POLICY = ROOT / permissions.FUNCTION_POLICY
CENTRAL_POLICY = ROOT / permissions.CENTRAL_POLICY
TESTS = ROOT / "tests"
# The services the function calls. The fake also serves EventBridge and CAM's role calls, for
# setup-eventbridge, setup-role and teardown, which run with the operator's keys on a fake of their
# own and are no business of the function's role.
FUNCTION_SERVICES = ("ci", "cos", "tag", "cam", "sts", "scf")

# Filled over a run by tests/conftest.py: the requests (the fake's endpoint names) product tests
# made, and whether the run is partial.
CALLS_MADE: set = set()
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


def function_calls(calls: Iterable[tuple]) -> set:
    """(service, endpoint) pairs -> the endpoints of the function's services."""
    return {endpoint for service, endpoint in calls if service in FUNCTION_SERVICES}


def problem(calls: Iterable[tuple]) -> str:
    """A message for requests the table does not cover or rows no request needed, or ''."""
    made, covered = function_calls(calls), permissions.by_call()
    lines = []
    uncovered = sorted(made - set(covered))
    if uncovered:
        lines.append(f"lib/ops/permissions.py has no row for requests the function made: {', '.join(uncovered)}")
    unneeded = sorted({p.action for p in permissions.FUNCTION if not set(p.calls) & made})
    if unneeded:
        lines.append(f"lib/ops/permissions.py lists actions no request of the function needed: {', '.join(unneeded)}")
    return "\n".join(lines)


def product_test_files() -> set[pathlib.Path]:
    """The suite the comparison needs: every top-level test module (tests/fakecloud/ tests the fake)."""
    return {p.resolve() for p in TESTS.glob("test_*.py")}
