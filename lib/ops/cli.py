"""cos-ci-unbinder: the operator's command line (also `python -m lib`).

One function per subcommand (`cmd_<name>`), each given the parsed arguments and returning the
exit code; `main` parses and dispatches. Whatever goes wrong before a run starts is one line on
stderr and exit code 2, never a traceback.
"""

import argparse
import os
import sys

from .. import __version__
from . import eventbridge, member_role, roles
from .errors import START_FAILED, CliError, one_line

PROG = "cos-ci-unbinder"
EXIT_CODES = """exit codes:
  0  the run finished and nothing needs a person
  1  the run finished and some bucket needs a person (blocked, refused, error) or the report is not ok;
     for validate, setup-role, setup-eventbridge and teardown: something is wrong or a call failed
  2  the run could not start: bad arguments, a bad input file, bad settings, no credentials, or a
     live run that was not confirmed"""


def _keys(purpose: str):
    secret_id = os.environ.get("TENCENTCLOUD_SECRETID", "").strip()
    secret_key = os.environ.get("TENCENTCLOUD_SECRETKEY", "").strip()
    if not (secret_id and secret_key):
        raise CliError("set TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY (and TENCENTCLOUD_SESSIONTOKEN for "
                       f"temporary keys) to a user allowed to {purpose}")
    return secret_id, secret_key, os.environ.get("TENCENTCLOUD_SESSIONTOKEN", "").strip() or None


def _connect(cls, purpose: str, *args):
    try:
        return cls.connect(*_keys(purpose), *args)
    except ImportError as err:
        raise CliError(f"an SDK is missing ({err.name}): pip install -r requirements-dev.txt") from None


def _checked(options):
    """Options checked before any key is looked at or any call made: a bad one is exit 2."""
    try:
        return options.validate()
    except eventbridge.SetupError as err:
        raise CliError(str(err)) from None


def _failed(command: str, err: eventbridge.SetupError) -> int:
    print(_scrubbed(one_line(f"{command}: {err}")), file=sys.stderr)
    return 1


def _scrubbed(text: str) -> str:
    """`text` without the keys of the environment or the robot's secrets, as the function's reports
    are: a service's message or an exception's may quote anything."""
    from ..report import scrub_text
    from ..settings import SettingsError, load

    env = os.environ
    secrets = [env.get(k, "") for k in ("TENCENTCLOUD_SECRETID", "TENCENTCLOUD_SECRETKEY", "TENCENTCLOUD_SESSIONTOKEN")]
    try:
        secrets += load(env).notify.secrets()
    except SettingsError:
        pass
    return scrub_text(text, secrets)


# --- subcommands ---------------------------------------------------------------------------------


def cmd_invoke(args) -> int:
    from .invoking import invoke

    return invoke(args)


def cmd_generate_event(args) -> int:
    import json

    from .sample_events import DEFAULT_BUCKET, DEFAULT_REGION, generate

    # A flag the kind has no use for is refused rather than dropped: the user meant something by it.
    if args.kind == "timer" and (args.bucket or args.region):
        raise CliError("a timer event names no bucket: it sweeps every tagged one (drop --bucket/--region)")
    if args.dry_run and args.kind != "manual":
        raise CliError(f"--dry-run goes in a manual event only; a {args.kind} event cannot ask for one "
                       "(the function's CI_UNBIND_DRY_RUN decides)")
    print(json.dumps(generate(args.kind, args.bucket or DEFAULT_BUCKET, args.region or DEFAULT_REGION,
                              dry_run=args.dry_run), indent=2))
    return 0


def cmd_validate(args) -> int:
    from .validate import read_env_file, validate

    env, source = (read_env_file(args.env_file), args.env_file) if args.env_file else (dict(os.environ),
                                                                                       "environment")
    findings = validate(env, source)
    print("\n".join(findings.lines()))
    return 1 if findings.problems else 0


def cmd_setup_role(args) -> int:
    from .camapi import CamApi

    options = _checked(roles.RoleOptions(role=args.role_name, policy=args.policy_name, appid=args.appid,
                                         state_bucket=args.state_bucket or None, state_prefix=args.state_prefix))
    if args.member or args.central_uin:
        options = _checked(member_options(args, options))
    api = _connect(CamApi, "manage CAM roles and policies")
    try:
        changes = roles.setup_role(api, options, dry_run=args.dry_run)
    except eventbridge.SetupError as err:
        return _failed("setup-role", err)
    print("\n".join(changes.lines("nothing to change: the role, its policy and the attachment are in place")))
    return 0


def member_options(args, options):
    """The member role's options: its own default names, trusted by the central account."""
    from dataclasses import replace

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
    apis = {"eb": _connect(eventbridge.EbApi, "manage EventBridge rules", args.region)}
    if args.role:
        apis["cam"] = _connect(CamApi, "manage CAM roles and policies")
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
    ask_yes(args.yes, "delete these")
    try:
        teardown.carry_out(plan, apis, say=print)
    except eventbridge.SetupError as err:
        return _failed("teardown", err)
    return 0


def cmd_history(args) -> int:
    from . import history_cmd

    return history_cmd.main(args)


def cmd_setup_eventbridge(args) -> int:
    options = _checked(_eb_options(args))
    api = _connect(eventbridge.EbApi, "manage EventBridge rules", args.region)
    try:
        outcome = eventbridge.setup(api, options, dry_run=args.dry_run)
    except eventbridge.SetupError as err:
        return _failed("setup-eventbridge", err)
    print("\n".join(outcome.lines()))
    return 0


def _eb_options(args) -> eventbridge.Options:
    uin = args.uin or os.environ.get("TENCENTCLOUD_UIN", "")
    if not uin:
        raise CliError("give the account ID (UIN) the function belongs to: --uin or TENCENTCLOUD_UIN")
    return eventbridge.Options(uin=uin, region=args.region, function=args.function, namespace=args.namespace,
                               qualifier=args.qualifier, rule_name=args.rule_name,
                               event_bus_id=getattr(args, "event_bus_id", None))


# --- arguments -----------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line (the usage is one --help away)."""

    def error(self, message):
        self.exit(START_FAILED, f"{self.prog}: {message} (see {self.prog} --help)\n")


# SCF's longest timeout (asynchronous execution); a larger limit would be a budget no run has.
MAX_TIME_LIMIT = 86400


def _positive(text: str) -> int:
    digits = text.strip()
    if digits.startswith("-") and digits[1:].isdigit():
        raise argparse.ArgumentTypeError(f"must be positive, not {one_line(digits, 24)}")
    if not digits.isdigit() or not digits.isascii():
        raise argparse.ArgumentTypeError(f"not a whole number of seconds: {one_line(text, 40)}")
    if len(digits) > 6 or int(digits) > MAX_TIME_LIMIT:
        raise argparse.ArgumentTypeError(f"at most {MAX_TIME_LIMIT} seconds (SCF's longest timeout), not "
                                         f"{one_line(digits, 24)}")
    value = int(digits)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {value}")
    return value


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


def parser() -> argparse.ArgumentParser:
    top = _Parser(prog=PROG, description=__doc__.split("\n\n")[0], epilog=EXIT_CODES,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, func, help, description=None):
        p = sub.add_parser(name, help=help, description=description or help, epilog=EXIT_CODES,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(func=func)
        return p

    p = command("invoke", cmd_invoke, "run an event through the function's own path",
                "Run an event (a file, or buckets named with --bucket/--region) through the function's path. "
                "Dry run unless --apply. A live run on a sweep or on more than 5 buckets lists them and asks "
                "for yes (--yes for scripts).")
    p.add_argument("event", nargs="?", help="an event file, e.g. events/manual.json; - reads standard input")
    p.add_argument("--bucket", action="append", metavar="NAME-APPID", help="a bucket to act on (repeatable)")
    p.add_argument("--region", action="append", help="its region: once for all buckets, or once per --bucket")
    p.add_argument("--simulate", action="store_true", help="use the built-in fake cloud, not Tencent Cloud")
    p.add_argument("--scenario", help="with --simulate: a scenario file (JSON) instead of the demo one")
    p.add_argument("--apply", action="store_true", help="really unbind (default: dry run)")
    p.add_argument("--yes", action="store_true", help="with --apply: go ahead without asking")
    p.add_argument("--json", action="store_true", help="print the whole report as JSON")
    p.add_argument("--logs", action="store_true", help="also write the function's JSON log lines to stderr")
    p.add_argument("--time-limit", type=_positive, default=900, help="seconds, as the function's timeout (900)")

    p = command("generate-event", cmd_generate_event, "print a sample event for a bucket")
    from .sample_events import DEFAULT_BUCKET, DEFAULT_REGION, KINDS

    p.add_argument("kind", choices=KINDS)
    p.add_argument("--bucket", help=f"NAME-APPID ({DEFAULT_BUCKET}); not for timer")
    p.add_argument("--region", help=f"({DEFAULT_REGION}); not for timer")
    p.add_argument("--dry-run", action="store_true", help="manual: ask for a dry run in the event")

    p = command("validate", cmd_validate, "check the settings, serverless.yml and the CAM policy, offline")
    p.add_argument("--env-file", help="read the settings from this NAME=VALUE file instead of the environment")

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

    p = command("teardown", cmd_teardown, "remove the EventBridge rule and target (and with --role, the role)")
    _eb_arguments(p)
    _role_arguments(p)
    p.add_argument("--role", action="store_true", help="also remove the execution role and its policy")
    p.add_argument("--yes", action="store_true", help="go ahead without asking")
    p.add_argument("--dry-run", action="store_true", help="read only; print what would be deleted")

    p = command("setup-eventbridge", cmd_setup_eventbridge,
                "find or create the EventBridge rule and its target (idempotent)",
                "Find or create, on the region's cloud-service event bus, the rule that sends bucket-tagging "
                "calls to the function, and its SCF target. Credentials come from "
                "TENCENTCLOUD_SECRETID/SECRETKEY/SESSIONTOKEN.")
    _eb_arguments(p)
    p.add_argument("--dry-run", action="store_true", help="read only; print what would be created or updated")

    from . import history_cmd

    history_cmd.add_arguments(command("history", cmd_history, history_cmd.HELP, history_cmd.DESCRIPTION))
    return top


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "scenario", None) and not args.simulate:
        print(f"{PROG}: --scenario goes with --simulate", file=sys.stderr)
        return START_FAILED
    try:
        return args.func(args)
    except CliError as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return err.code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return closed_pipe()
    except Exception as exc:  # a fault of ours: one line, not a traceback; the run's report says the rest
        print(_scrubbed(one_line(f"{PROG}: internal error: {type(exc).__name__}: {exc} (please report it)")),
              file=sys.stderr)
        return 1


# The reader went away (`| head`): what it did not read is not an error to report, as for any
# Unix tool; the status is the one a shell gives a command that SIGPIPE ended.
PIPE_CLOSED = 141


def closed_pipe() -> int:
    try:  # the interpreter flushes stdout on exit, which would raise again: point it at nothing
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (a test's capture): nothing will be flushed to a pipe
    return PIPE_CLOSED


def run() -> None:
    """The console script's entry point."""
    code = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = closed_pipe()
    sys.exit(code)
