"""`invoke`: one event through the function's own path, against the fake or the real cloud.

Everything that can stop a run is checked before anything is sent: the event (a file, or the
buckets named on the command line), the settings (the same check and message as the function's),
the credentials, and for a live run the operator's confirmation. Dry run unless --apply, whatever
CI_UNBIND_DRY_RUN says: a person at a terminal opts in to change.
"""

import json
import os
import sys
import uuid

from ..settings import SettingsError
from ..triggers import InvalidEvent, parse
from . import credentials, notify_demo, organisation, output
from .confirm import confirm
from .errors import CliError, json_problem, one_line
from .simulation import SIM_CREDENTIALS, SIM_STATE_ENV, simulated_state

# Run errors that mean the run never started: exit 2, and no table that could pass for success.
SIMULATE_TAKES_NO_KEYS = "--simulate uses the fake cloud's keys: drop --profile/--use-cvm-role"
NOT_STARTED = ("invalid_event", "invalid_settings", "missing_credentials")


def read_json_file(path: str, what: str):
    """A JSON file's content (`-`: standard input), or a CliError saying in one line why it cannot be read."""
    if path == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise CliError(f"{what} -: standard input is a terminal; pipe the event in (e.g. "
                           "cos-ci-unbinder generate-event manual | cos-ci-unbinder invoke -)")
        path = "(standard input)"
        try:
            text = sys.stdin.read()
        except UnicodeDecodeError:
            raise CliError(f"{what} {path}: not text (expected JSON)") from None
        return _parse_json(text, path, what)
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise CliError(f"{what} {path}: no such file") from None
    except IsADirectoryError:
        raise CliError(f"{what} {path}: is a directory, not a file") from None
    except UnicodeDecodeError:
        raise CliError(f"{what} {path}: not text (expected JSON)") from None
    except OSError as err:
        raise CliError(f"{what} {path}: cannot be read: {err.strerror or err}") from None
    return _parse_json(text, path, what)


def _parse_json(text: str, path: str, what: str):
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as err:
        hint = " (YAML is not read: write it as JSON)" if path.endswith((".yml", ".yaml")) else ""
        raise CliError(one_line(f"{what} {path}: not JSON{hint}: {json_problem(err)}")) from None


def keys_env(args, purpose: str) -> dict:
    """The keys of the credential chain under the names the function's settings read; a token of
    the environment goes only with the environment's own keys."""
    keys = credentials.resolve(args.profile, args.use_cvm_role, purpose)
    return {"TENCENTCLOUD_SESSIONTOKEN": "", **keys.env()}


def event_from_args(args) -> dict:
    """The event file, or a manual event for the --bucket/--region pairs."""
    if args.bucket and args.event:
        raise CliError("name an event file or --bucket, not both")
    if args.bucket:
        regions = args.region or []
        if len(regions) == 1:
            regions = regions * len(args.bucket)
        if len(regions) != len(args.bucket):
            raise CliError("give one --region for all buckets, or one --region per --bucket "
                           f"(got {len(args.bucket)} buckets and {len(args.region or [])} regions)")
        return {"buckets": [{"bucket": b, "region": r} for b, r in zip(args.bucket, regions)]}
    if args.region:
        raise CliError("--region goes with --bucket")
    if not args.event:
        raise CliError("name an event file (e.g. events/manual.json), or the buckets with --bucket NAME-APPID "
                       "--region REGION")
    return read_json_file(args.event, "event file")


def _settings(env):
    from .. import invocation

    settings = invocation.cold_start(env)
    if isinstance(settings, SettingsError):
        # The same words the function reports as invalid_settings.
        raise CliError(f"invalid_settings: {settings}")
    return settings


def _trigger(event):
    try:
        return parse(event)
    except InvalidEvent as err:
        raise CliError(one_line(f"invalid_event: {err}")) from None


def _load_scenario(cloud, scenario, path):
    from ..fakecloud import load_scenario
    from ..fakecloud.scenario import ScenarioError

    try:
        load_scenario(cloud, scenario if scenario is not None else _demo())
    except ScenarioError as err:
        raise CliError(one_line(f"scenario {path}: {err}")) from None


def _demo():
    from ..fakecloud import DEMO_SCENARIO

    return DEMO_SCENARIO


def invoke(args) -> int:
    # The files first, before the SDKs are imported: a bad one is reported at once.
    event = event_from_args(args)
    scenario = read_json_file(args.scenario, "scenario") if args.scenario else None
    from .. import invocation

    env = dict(os.environ)
    if args.simulate and (args.profile or args.use_cvm_role):
        raise CliError(SIMULATE_TAKES_NO_KEYS)
    if not args.simulate:
        env.update(keys_env(args, "read tags and CI status (and with --apply, unbind)"))
    if args.simulate:
        env.update(SIM_CREDENTIALS)
        env.update(SIM_STATE_ENV)  # the demo keeps history in a state bucket of the fake, as deployed
        env.pop("TENCENTCLOUD_SESSIONTOKEN", None)
        organisation.add_accounts(env, scenario)
        robot = notify_demo.simulated_robot(env)  # the digest goes to a fake chat robot
    env["CI_UNBIND_DRY_RUN"] = "false" if args.apply else "true"
    settings = _settings(env)
    trigger = _trigger(event)
    if args.yes and not args.apply:
        print("note: --yes only answers the question --apply asks; this is a dry run", file=sys.stderr)
    if args.apply and trigger.dry_run is True:
        print('note: the event asks for a dry run ("dry_run": true), so this run stays dry despite --apply',
              file=sys.stderr)
    elif args.apply and not args.simulate:
        confirm(trigger, settings, args.yes)

    context = {"request_id": f"cli-{uuid.uuid4()}", "time_limit_in_ms": args.time_limit * 1000}
    if args.simulate:
        context["simulated"] = True
    progress = output.Progress()
    log = output.function_log(args.logs, env)
    if args.simulate:
        from ..fakecloud import FakeCloud

        cloud = FakeCloud(secret_id=SIM_CREDENTIALS["TENCENTCLOUD_SECRETID"],
                          secret_key=SIM_CREDENTIALS["TENCENTCLOUD_SECRETKEY"])
        _load_scenario(cloud, scenario, args.scenario)
        robot = notify_demo.add_to(cloud, robot)
        simulated_state(cloud)
        with cloud:
            organisation.deploy(cloud, settings, log)
            context.update(organisation.CONTEXT)
            report = invocation.handle(event, context, settings, log=log, progress=progress)
            workers = organisation.worker_reports(cloud)
    else:
        report = invocation.handle(event, context, settings, log=log, progress=progress)
        workers = []
    progress.done()
    error = report.get("error") or {}
    if error.get("code") in NOT_STARTED:  # settled above; kept in case the function disagrees
        raise CliError(one_line(f"{error['code']}: {error.get('message', '')}"))
    if args.json:
        print(json.dumps({**report, "shard_reports": workers} if workers else report, indent=2, ensure_ascii=False))
    else:
        print("\n\n".join(output.table(r, args.simulate) for r in [report] + workers))
    if args.simulate and not args.json:
        print(notify_demo.describe(robot, report))
    return max(output.exit_code(r) for r in [report] + workers)
