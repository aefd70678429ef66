"""doctor's checks. Each reads (the state bucket's probe object is the one write) and says in one
line what holds, or what is wrong and what to do. A check that depends on an earlier one that
failed is skipped, never guessed."""

import json
from dataclasses import dataclass, field
from typing import Optional

from . import eventbridge, permissions, roles
from .eventbridge import SetupError
from .text import printable

OK, PROBLEM, SKIPPED = "ok", "problem", "skipped"
PROBE_KEY = "doctor/probe.json"  # under the state prefix; the only object doctor ever writes
DENIED = ("AccessDenied", "UnauthorizedOperation", "AuthFailure.UnauthorizedOperation", "PermissionDenied")
RUNTIME, ENTRY = "Python3.9", "handler.main_handler"


@dataclass
class Line:
    status: str
    name: str
    text: str
    fix: str = ""

    def render(self) -> str:
        out = f"{self.status:8} {self.name}: {printable(self.text)}"
        return out + (f"; {printable(self.fix)}" if self.fix else "")


@dataclass
class Target:
    """What doctor looks at, and the clients it reads with (all on the operator's keys)."""

    function: str
    region: str
    namespace: str
    credentials: object  # lib.settings.Credentials
    cam: object
    eb: object
    scf: object  # lib.cloud.scf.FunctionReader
    bucket: Optional[str] = None  # a bucket to prove the per-bucket reads on
    send_test: bool = False
    found: dict = field(default_factory=dict)  # what earlier checks learnt: identity, function, settings


def _why(err) -> str:
    code = getattr(err, "code", "") or ""
    message = getattr(err, "message", None) or str(err)
    request_id = getattr(err, "request_id", "") or ""
    return f"{code + ': ' if code else ''}{message}" + (f" (request id {request_id})" if request_id else "")


def keys(t: Target, source: str) -> Line:
    try:
        answer = t.cam.call("GetUserAppId", {})
    except SetupError as err:
        return Line(PROBLEM, "keys", f"CAM GetUserAppId refused the keys from {source}: {_why(err)}",
                    "check the SecretId and SecretKey, or choose others with --profile")
    t.found["identity"] = {"uin": str(answer.get("Uin") or ""), "owner": str(answer.get("OwnerUin") or ""),
                           "appid": str(answer.get("AppId") or "")}
    who = t.found["identity"]
    return Line(OK, "keys", f"they work: UIN {who['uin']} of account {who['owner']}, APPID {who['appid']} "
                f"(from {source})")


def function(t: Target) -> Line:
    from ..budget import margin_for
    from ..cloud.errors import ApiError
    from ..preflight import too_short

    try:
        fn = t.scf.function(t.function, t.namespace)
    except ApiError as err:
        if err.code.startswith("ResourceNotFound"):
            return Line(PROBLEM, "function", f"no function {t.function} in {t.region} (namespace {t.namespace})",
                        "deploy it (scf deploy), or name it with --function and --region")
        return Line(PROBLEM, "function", f"SCF GetFunction failed: {_why(err)}", "grant scf:GetFunction to these keys")
    t.found["function"] = fn
    wrong = []
    if fn.get("Runtime") != RUNTIME:
        wrong.append(f"runtime {fn.get('Runtime')} (not {RUNTIME})")
    if fn.get("Handler") != ENTRY:
        wrong.append(f"handler {fn.get('Handler')} (not {ENTRY})")
    timeout = fn.get("Timeout")
    if not isinstance(timeout, int) or not 1 <= timeout <= 900:
        wrong.append(f"timeout {timeout} (1-900 s)")
    elif too_short(float(timeout), margin_for):
        wrong.append(f"timeout {timeout} s leaves no time after the safety margin")
    if not isinstance(fn.get("MemorySize"), int) or fn["MemorySize"] < 128:
        wrong.append(f"memory {fn.get('MemorySize')} MB (at least 128)")
    shown = f"{t.function}: {fn.get('Runtime')}, {fn.get('Handler')}, timeout {timeout} s, {fn.get('MemorySize')} MB"
    if wrong:
        return Line(PROBLEM, "function", f"{t.function}: " + "; ".join(wrong), "deploy serverless.yml as it is")
    return Line(OK, "function", shown)


def settings(t: Target) -> Line:
    from ..settings import SettingsError, load
    from .validate import known_names, near_misses

    if "function" not in t.found:
        return Line(SKIPPED, "settings", "no function to read them from")
    variables = (t.found["function"].get("Environment") or {}).get("Variables") or []
    env = {v.get("Key"): v.get("Value") or "" for v in variables if isinstance(v, dict) and v.get("Key")}
    misses = near_misses([k for k in env if not k.startswith("CI_UNBIND_")], known_names())
    try:
        loaded = load({**env, "TENCENTCLOUD_SECRETID": "", "TENCENTCLOUD_SECRETKEY": ""})
    except SettingsError as err:
        return Line(PROBLEM, "settings", f"the function's environment: {err}", "fix it in serverless.yml and deploy")
    if misses:
        name, meant = misses[0]
        return Line(PROBLEM, "settings", f"{name} is not a setting (did you mean {meant}?)",
                    "fix it in serverless.yml and deploy")
    t.found["settings"] = loaded
    mode = "dry run" if loaded.dry_run else "LIVE (unbinds)"
    state = f"state bucket {loaded.state_bucket}" if loaded.state_bucket else "no state bucket"
    robot = f"{loaded.notify.format} robot" if loaded.notify.url else "no robot"
    return Line(OK, "settings", f"the function's environment is valid: {mode}, tag {loaded.tag_key}, {state}, {robot}")


def role(t: Target) -> Line:
    if "function" not in t.found:
        return Line(SKIPPED, "role", "no function to read its role from")
    name = t.found["function"].get("Role") or ""
    if not name:
        return Line(PROBLEM, "role", f"{t.function} runs without a role: every run ends in missing_credentials",
                    "run setup-role and name the role in serverless.yml")
    try:
        info = roles.get_role(t.cam, name)
        if info is None:
            return Line(PROBLEM, "role", f"the function's role {name} does not exist", "run setup-role")
        if not roles.trusts_scf(info.get("PolicyDocument")):
            return Line(PROBLEM, "role", f"role {name} does not trust SCF", "run setup-role")
        granted = set()
        for policy_id in roles.attached_ids(t.cam, name):
            document = t.cam.call("GetPolicy", {"PolicyId": policy_id}).get("PolicyDocument") or "{}"
            granted |= permissions.granted(json.loads(document))
    except (SetupError, ValueError) as err:
        return Line(PROBLEM, "role", f"reading role {name} failed: {_why(err)}",
                    "grant cam:GetRole, cam:ListAttachedRolePolicies and cam:GetPolicy to these keys")
    missing = sorted(permissions.actions(permissions.FUNCTION_POLICY) - granted)
    if missing:
        return Line(PROBLEM, "role", f"role {name} lacks {', '.join(missing)}", "run setup-role")
    return Line(OK, "role", f"{name} trusts SCF and its policies grant the "
                f"{len(permissions.actions(permissions.FUNCTION_POLICY))} actions the function needs")


def timer(t: Target) -> Line:
    from ..cloud.errors import ApiError

    if "function" not in t.found:
        return Line(SKIPPED, "timer", "no function")
    try:
        triggers = t.scf.triggers(t.function, t.namespace)
    except ApiError as err:
        return Line(PROBLEM, "timer", f"SCF ListTriggers failed: {_why(err)}", "grant scf:ListTriggers to these keys")
    timers = [x for x in triggers if str(x.get("Type", "")).lower() == "timer"]
    on = [x for x in timers if str(x.get("Enable")) in ("1", "True", "true")]
    if not on:
        what = "its timer is disabled" if timers else "it has no timer trigger"
        return Line(PROBLEM, "timer", f"{what}: tagging events only, nothing reconciles what they miss",
                    "deploy serverless.yml's timer (enable: true)")
    try:
        cron = json.loads(on[0].get("TriggerDesc") or "{}").get("cron", "?")
    except (ValueError, AttributeError):
        cron = "?"
    return Line(OK, "timer", f"{on[0].get('TriggerName')} ({cron}) is enabled")


def rule(t: Target) -> Line:
    who = t.found.get("identity")
    if "function" not in t.found or not who:
        return Line(SKIPPED, "eventbridge", "no function or account to check the rule against")
    options = eventbridge.Options(uin=who["owner"] or who["uin"], region=t.region, function=t.function,
                                  namespace=t.namespace)
    try:
        outcome = eventbridge.setup(t.eb, options, dry_run=True)  # dry run: reads only
    except SetupError as err:
        return Line(PROBLEM, "eventbridge", str(err), "run setup-eventbridge")
    if outcome.changes:
        return Line(PROBLEM, "eventbridge", "; ".join(f"{verb} {what} needed" for verb, what in outcome.changes),
                    "run setup-eventbridge")
    return Line(OK, "eventbridge", f"rule {options.rule_name} ({outcome.rule_id}) on bus {outcome.bus_id} "
                f"delivers bucket-tagging calls to {t.function}")
