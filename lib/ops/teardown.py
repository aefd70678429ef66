"""`teardown`: remove what setup-eventbridge (and, with --role, setup-role) made.

It reads first and says what it will delete: the function's target on the rule, then the rule
(kept, with a note, when it still delivers to other targets), and with --role the policy's
attachment, the policy and the role. Nothing is deleted before the operator confirms (`yes` on a
terminal, or --yes); --dry-run only prints the plan. Deleting what is already gone is no error.
The calls: EventBridge ListEventBuses, ListRules, ListTargets, DeleteTarget, DeleteRule; CAM
GetRole, ListPolicies, ListAttachedRolePolicies, DetachRolePolicy, DeletePolicy, DeleteRole.
"""

from dataclasses import dataclass, field
from typing import Callable, Optional

from . import eventbridge, roles
from .eventbridge import SetupError


@dataclass
class Step:
    text: str
    action: str  # the API call that does it
    params: dict
    api: str  # "eb" or "cam"


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"will {s.text}" for s in self.steps] + [f"note: {n}" for n in self.notes]
        return out if self.steps else out + ["nothing to remove"]


def plan_eventbridge(api, options: eventbridge.Options, plan: Plan) -> None:
    options.validate()
    bus = eventbridge._find_bus(api, options)
    bus_id = bus["EventBusId"]
    rules = [r for r in eventbridge._all_pages(api, "ListRules", {"EventBusId": bus_id}, "Rules")
             if r.get("RuleName") == options.rule_name]
    if not rules:
        plan.notes.append(f"no rule {options.rule_name} on event bus {bus_id} in {options.region}")
        return
    for rule in rules:
        rule_id = rule["RuleId"]
        targets = eventbridge._all_pages(api, "ListTargets", {"EventBusId": bus_id, "RuleId": rule_id}, "Targets")
        ours = [t for t in targets if (t.get("TargetDescription") or {}).get("ResourceDescription") == options.target]
        for t in ours:
            plan.steps.append(Step(f"delete target {options.target} ({t['TargetId']}) of rule {rule_id}",
                                   "DeleteTarget", {"EventBusId": bus_id, "RuleId": rule_id,
                                                    "TargetId": t["TargetId"]}, "eb"))
        others = [t for t in targets if t not in ours]
        if others:
            plan.notes.append(f"rule {options.rule_name} ({rule_id}) also delivers to " + ", ".join(
                f"{t.get('Type')} {(t.get('TargetDescription') or {}).get('ResourceDescription')}" for t in others)
                + ": the rule is kept")
        else:
            plan.steps.append(Step(f"delete rule {options.rule_name} ({rule_id}) on event bus {bus_id}",
                                   "DeleteRule", {"EventBusId": bus_id, "RuleId": rule_id}, "eb"))


def plan_role(api, options: roles.RoleOptions, plan: Plan) -> None:
    options.validate()
    role = roles.get_role(api, options.role)
    policy = roles.find_policy(api, options.policy)
    policy_id = policy.get("PolicyId") if policy else None
    attached = role is not None and policy is not None and policy_id in roles.attached_ids(api, options.role)
    if attached:
        plan.steps.append(Step(f"detach policy {options.policy} ({policy_id}) from role {options.role}",
                               "DetachRolePolicy", {"PolicyId": policy_id, "DetachRoleName": options.role}, "cam"))
    if policy is not None:
        attached_elsewhere = int(policy.get("Attachments") or 0) - (1 if attached else 0)
        if attached_elsewhere > 0:
            plan.notes.append(f"policy {options.policy} is attached to {attached_elsewhere} other user(s), group(s) "
                              "or role(s): it is kept")
        else:
            plan.steps.append(Step(f"delete policy {options.policy} ({policy_id})", "DeletePolicy",
                                   {"PolicyId": [policy_id]}, "cam"))
    else:
        plan.notes.append(f"no policy {options.policy}")
    if role is not None:
        plan.steps.append(Step(f"delete role {options.role}", "DeleteRole", {"RoleName": options.role}, "cam"))
    else:
        plan.notes.append(f"no role {options.role}")


def carry_out(plan: Plan, apis: dict, say: Optional[Callable[[str], None]] = None) -> list[str]:
    """Run the plan's steps in order; stop at the first failure (SetupError names what was done)."""
    done = []
    for step in plan.steps:
        try:
            apis[step.api].call(step.action, step.params)
        except SetupError as err:
            if err.code.startswith("ResourceNotFound") or err.code in roles.ROLE_MISSING:
                done.append(f"{step.text.split(' (')[0]}: already gone")
                continue
            if done:
                raise SetupError(f"{err} (already done: {'; '.join(done)})") from None
            raise
        done.append(step.text.replace("delete", "deleted", 1).replace("detach", "detached", 1))
        if say:
            say(done[-1])
    return done
