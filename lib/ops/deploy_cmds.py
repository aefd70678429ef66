"""The deploy commands: `setup-role`, `setup-eventbridge` and `teardown`, their arguments, and
where their calls go: Tencent Cloud with the keys of lib/ops/credentials.py, or with --simulate the
fake cloud's CAM and EventBridge, each call printed as it is made.
"""

import json
import os
import sys
from contextlib import contextmanager
from dataclasses import replace

from . import credentials, eventbridge, member_role, roles
from .errors import CliError, one_line
from .simulation import SIM_CREDENTIALS, SIM_UIN

SIMULATED = "simulated (the fake cloud's CAM and EventBridge; nothing real is read or changed)"


class Printed:
    """An API whose every call is printed before it is made: what --simulate shows."""

    def __init__(self, api, service: str, say=print):
        self._api, self._service, self._say = api, service, say

    def call(self, action: str, params: dict) -> dict:
        shown = one_line(json.dumps(params, ensure_ascii=False, sort_keys=True), 160)
        self._say(f"  call {self._service}:{action} {shown}")
        return self._api.call(action, params)

    def __getattr__(self, name):
        return getattr(self._api, name)


class Calls:
    """Where the commands' calls go, for one command: `connect` gives each API client."""

    def __init__(self, args):
        self.simulate = bool(getattr(args, "simulate", False))
        self.args = args
        self.cloud = None
        if self.simulate and (args.profile or args.use_cvm_role):
            raise CliError("--simulate uses the fake cloud's keys: drop --profile/--use-cvm-role")

    def connect(self, cls, purpose: str, *extra):
        service = "cam" if cls.__name__ == "CamApi" else "eb"
        if self.simulate:
            keys = (SIM_CREDENTIALS["TENCENTCLOUD_SECRETID"], SIM_CREDENTIALS["TENCENTCLOUD_SECRETKEY"], None)
        else:
            found = credentials.resolve(self.args.profile, self.args.use_cvm_role, purpose)
            keys = (found.secret_id, found.secret_key, found.token)
        try:
            api = cls.connect(*keys, *extra)
        except ImportError as err:
            raise CliError(f"an SDK is missing ({err.name}): pip install -r requirements-dev.txt") from None
        return Printed(api, service) if self.simulate else api

    @contextmanager
    def session(self):
        if not self.simulate:
            yield self
            return
        from ..fakecloud import FakeCloud

        print(SIMULATED)
        self.cloud = FakeCloud(secret_id=SIM_CREDENTIALS["TENCENTCLOUD_SECRETID"],
                               secret_key=SIM_CREDENTIALS["TENCENTCLOUD_SECRETKEY"], uin=SIM_UIN)
        with self.cloud:
            yield self


def _checked(options):
    """Options checked before any key is looked at or any call made: a bad one is exit 2."""
    try:
        return options.validate()
    except eventbridge.SetupError as err:
        raise CliError(str(err)) from None


def _failed(command: str, err: eventbridge.SetupError) -> int:
    print(credentials.scrubbed(one_line(f"{command}: {err}")), file=sys.stderr)
    return 1


def cmd_setup_role(args) -> int:
    from .camapi import CamApi

    options = _checked(roles.RoleOptions(role=args.role_name, policy=args.policy_name, appid=args.appid,
                                         state_bucket=args.state_bucket or None, state_prefix=args.state_prefix))
    if args.member or args.central_uin:
        options = _checked(member_options(args, options))
    calls = Calls(args)
    with calls.session():
        api = calls.connect(CamApi, "manage CAM roles and policies")
        try:
            changes = roles.setup_role(api, options, dry_run=args.dry_run)
        except eventbridge.SetupError as err:
            return _failed("setup-role", err)
    print("\n".join(changes.lines("nothing to change: the role, its policy and the attachment are in place")))
    return 0


def member_options(args, options):
    """The member role's options: its own default names, trusted by the central account."""
    if not (args.member and args.central_uin):
        raise CliError("--member and --central-uin go together")
    try:
        trust = member_role.trust_statement(args.central_uin)
    except eventbridge.SetupError as err:
        raise CliError(str(err)) from None
    # The state bucket lives in the central account: a member role gets no statement on it.
    return replace(options, trust=trust, state_bucket=None,
                   role=member_role.ROLE_NAME if args.role_name == roles.ROLE_NAME else args.role_name,
                   policy=member_role.POLICY_NAME if args.policy_name == roles.POLICY_NAME else args.policy_name)


def cmd_teardown(args) -> int:
    from . import teardown
    from .camapi import CamApi
    from .confirm import ask_yes

    options = _checked(_eb_options(args))
    role_options = _checked(roles.RoleOptions(role=args.role_name, policy=args.policy_name))
    calls = Calls(args)
    with calls.session():
        if calls.simulate:
            _deployed(calls.cloud, options, role_options if args.role else None)
            print("the fake cloud holds what setup-eventbridge" + (" and setup-role" if args.role else "")
                  + " would have made")
        apis = {"eb": calls.connect(eventbridge.EbApi, "manage EventBridge rules", args.region)}
        if args.role:
            apis["cam"] = calls.connect(CamApi, "manage CAM roles and policies")
        plan = teardown.Plan()
        try:
            teardown.plan_eventbridge(apis["eb"], options, plan)
            if args.role:
                teardown.plan_role(apis["cam"], role_options, plan)
        except eventbridge.SetupError as err:
            return _failed("teardown", err)
        print("\n".join(plan.lines()))
        if not plan.steps:
            return 0
        if args.dry_run:
            print("dry run: nothing was deleted")
            return 0
        if not calls.simulate:  # the fake's copy is thrown away: nothing to confirm
            ask_yes(args.yes, "delete these")
        try:
            teardown.carry_out(plan, apis, say=print)
        except eventbridge.SetupError as err:
            return _failed("teardown", err)
    return 0


def _deployed(cloud, options, role_options) -> None:
    """For teardown --simulate: the fake holds what setup-eventbridge and setup-role would have made."""
    from .camapi import CamApi

    keys = (SIM_CREDENTIALS["TENCENTCLOUD_SECRETID"], SIM_CREDENTIALS["TENCENTCLOUD_SECRETKEY"], None)
    eventbridge.setup(eventbridge.EbApi.connect(*keys, options.region), options)
    if role_options is not None:
        roles.setup_role(CamApi.connect(*keys), role_options)


def cmd_setup_eventbridge(args) -> int:
    options = _checked(_eb_options(args))
    calls = Calls(args)
    with calls.session():
        api = calls.connect(eventbridge.EbApi, "manage EventBridge rules", args.region)
        try:
            outcome = eventbridge.setup(api, options, dry_run=args.dry_run)
        except eventbridge.SetupError as err:
            return _failed("setup-eventbridge", err)
    print("\n".join(outcome.lines()))
    return 0


def _eb_options(args) -> eventbridge.Options:
    uin = args.uin or os.environ.get("TENCENTCLOUD_UIN", "") or (SIM_UIN if getattr(args, "simulate", False) else "")
    if not uin:
        raise CliError("give the account ID (UIN) the function belongs to: --uin or TENCENTCLOUD_UIN")
    return eventbridge.Options(uin=uin, region=args.region, function=args.function, namespace=args.namespace,
                               qualifier=args.qualifier, rule_name=args.rule_name,
                               event_bus_id=getattr(args, "event_bus_id", None))


# --- arguments -----------------------------------------------------------------------------------

def _eb_arguments(p, bus: bool = True) -> None:
    p.add_argument("--uin", help="the account ID (UIN) that owns the function (default: TENCENTCLOUD_UIN)")
    for flag, default, what in (("--region", eventbridge.DEFAULT_REGION, "the function's region"),
                                ("--function", eventbridge.DEFAULT_FUNCTION, "the function's name"),
                                ("--namespace", eventbridge.DEFAULT_NAMESPACE, "the function's namespace"),
                                ("--qualifier", eventbridge.DEFAULT_QUALIFIER, "the alias or version events go to"),
                                ("--rule-name", eventbridge.RULE_NAME, "the rule's name")):
        p.add_argument(flag, default=default, help=f"{what} ({default})")
    if bus:
        p.add_argument("--event-bus-id", help="use this bus instead of the region's cloud-service bus")


def _role_arguments(p) -> None:
    p.add_argument("--role-name", default=roles.ROLE_NAME, help=f"the execution role ({roles.ROLE_NAME})")
    p.add_argument("--policy-name", default=roles.POLICY_NAME, help=f"its custom policy ({roles.POLICY_NAME})")


def _common(p) -> None:
    credentials.add_arguments(p)
    p.add_argument("--simulate", action="store_true",
                   help="run against the built-in fake cloud and print each call; needs no keys")


def add_commands(command) -> None:
    p = command("setup-role", cmd_setup_role, "create or repair the execution role and its policy (idempotent)",
                "Create or repair the CAM role the function runs as (trusted by SCF) and attach a custom policy "
                "made from deploy/cam-policy.json with the account's APPID. Idempotent.")
    _role_arguments(p)
    p.add_argument("--appid", help="the account's APPID (default: asked of CAM GetUserAppId)")
    p.add_argument("--state-bucket", default=os.environ.get("CI_UNBIND_STATE_BUCKET", ""),
                   help="grant the state bucket's statements on it (default: CI_UNBIND_STATE_BUCKET; none: left out)")
    p.add_argument("--state-prefix", default=os.environ.get("CI_UNBIND_STATE_PREFIX", "").strip() or "cos-ci-unbinder/",
                   help="its prefix (default: CI_UNBIND_STATE_PREFIX or cos-ci-unbinder/)")
    p.add_argument("--dry-run", action="store_true", help="read only; print what would be created or updated")
    p.add_argument("--member", action="store_true",
                   help=f"in a member account: the role the central function assumes ({member_role.ROLE_NAME}, "
                   "trusted by --central-uin), with this account's keys (docs/accounts.md)")
    p.add_argument("--central-uin", help="with --member: the UIN of the account the function runs in")
    _common(p)

    p = command("teardown", cmd_teardown, "remove the EventBridge rule and target (and with --role, the role)")
    _eb_arguments(p)
    _role_arguments(p)
    p.add_argument("--role", action="store_true", help="also remove the execution role and its policy")
    p.add_argument("--yes", action="store_true", help="go ahead without asking")
    p.add_argument("--dry-run", action="store_true", help="read only; print what would be deleted")
    _common(p)

    p = command("setup-eventbridge", cmd_setup_eventbridge,
                "find or create the EventBridge rule and its target (idempotent)",
                "Find or create, on the region's cloud-service event bus, the rule that sends bucket-tagging "
                "calls to the function, and its SCF target. Keys: see --profile.")
    _eb_arguments(p)
    p.add_argument("--dry-run", action="store_true", help="read only; print what would be created or updated")
    _common(p)
