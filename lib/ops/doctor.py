"""`cos-ci-unbinder doctor`: a live, read-only check of a deployment, one line per check.

    cos-ci-unbinder doctor [--function NAME] [--region R] [--bucket NAME-APPID] [--send-test]
                           [--profile NAME | --use-cvm-role | --simulate [--scenario FILE]]

In order: the keys (whose they are), the function (SCF GetFunction: runtime, handler, timeout,
memory), its environment (the function's own settings rules), its role (trusts SCF, grants every
action of lib/ops/permissions.py), its timer, the EventBridge rule and target, the state bucket
(exists, never versioned, takes a create-if-absent write of one probe object under its prefix),
each permission proved by a harmless read or said to be not provable, and with --send-test the
robot (one short message). Nothing is changed but the probe object.

Permissions of the keys it runs with: cam:GetUserAppId, cam:GetRole, cam:ListAttachedRolePolicies,
cam:GetPolicy; scf:GetFunction, scf:ListTriggers; eb:ListEventBuses, eb:ListRules, eb:GetRule,
eb:ListTargets; the read actions of lib/ops/permissions.py; cos:PutObject on the probe object.

Exit codes: 0 every check holds (or is skipped), 1 some check found a problem, 2 it could not start.
"""

import re
import sys

from ..buckets import InvalidBucket, validate_bucket_name, validate_region
from . import credentials
from .doctor_checks import OK, PROBLEM, SKIPPED, Line, Target
from .errors import CliError

HELP = "check a deployment, read-only: keys, function, role, timer, EventBridge, state bucket, robot"
DEFAULT_FUNCTION, DEFAULT_REGION, DEFAULT_NAMESPACE = "cos-ci-unbinder", "ap-guangzhou", "default"
_FUNCTION_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,59}")


def add_arguments(p) -> None:
    p.add_argument("--function", default=DEFAULT_FUNCTION, help=f"the function's name ({DEFAULT_FUNCTION})")
    p.add_argument("--region", default=DEFAULT_REGION, help=f"its region ({DEFAULT_REGION})")
    p.add_argument("--namespace", default=DEFAULT_NAMESPACE, help=f"its namespace ({DEFAULT_NAMESPACE})")
    p.add_argument("--bucket", metavar="NAME-APPID", help="a bucket bound to CI to prove the per-bucket reads on "
                   "(default: the state bucket)")
    p.add_argument("--send-test", action="store_true", help="send one short message to the robot")
    p.add_argument("--simulate", action="store_true", help="check a deployment on the built-in fake cloud")
    p.add_argument("--scenario", help="with --simulate: a JSON file {\"break\": [...]} naming checks to break "
                   "(lib/fakecloud/scenarios/doctor-broken.json)")
    credentials.add_arguments(p)


def _checked(args) -> None:
    try:
        validate_region(args.region)
        if args.bucket:
            validate_bucket_name(args.bucket)
    except InvalidBucket as err:
        raise CliError(str(err)) from None
    if not _FUNCTION_NAME.fullmatch(args.function) or not _FUNCTION_NAME.fullmatch(args.namespace):
        raise CliError("--function and --namespace are SCF names: a letter, then letters, digits, - and _")
    if args.simulate and (args.profile or args.use_cvm_role):
        raise CliError("--simulate uses the fake cloud's keys: drop --profile/--use-cvm-role")


def run(target: Target, source: str, say=print) -> list:
    """Every check in order, each line said as soon as it is known."""
    from . import doctor_checks as checks
    from . import doctor_probes as probes

    lines: list = []

    def add(*found: Line) -> None:
        for line in found:
            lines.append(line)
            say(line.render())

    add(checks.keys(target, source))
    if lines[-1].status != OK:
        add(Line(SKIPPED, "everything else", "nothing can be read without working keys"))
        return lines
    for check in (checks.function, checks.settings, checks.role, checks.timer, checks.rule, probes.state_bucket):
        add(check(target))
    add(*probes.permission_lines(target))
    add(probes.robot(target))
    return lines


def _target(args, creds) -> Target:
    from ..cloud.scf import FunctionReader
    from .camapi import CamApi
    from .eventbridge import EbApi

    keys = (creds.secret_id, creds.secret_key, creds.token)
    return Target(function=args.function, region=args.region, namespace=args.namespace, credentials=creds,
                  cam=CamApi.connect(*keys), eb=EbApi.connect(*keys, args.region),
                  scf=FunctionReader(creds, args.region), bucket=args.bucket, send_test=args.send_test)


def main(args) -> int:
    from ..settings import Credentials

    if args.scenario and not args.simulate:
        raise CliError("--scenario goes with --simulate")
    _checked(args)
    if args.simulate:
        from . import doctor_sim
        from .invoking import read_json_file

        breaks = doctor_sim.breaks_of(read_json_file(args.scenario, "scenario") if args.scenario else {})
        with doctor_sim.deployment(breaks) as (creds, bucket, _cloud):
            print(doctor_sim.HEADING + (f"; broken: {', '.join(sorted(breaks))}" if breaks else ""))
            if not args.bucket:
                args.bucket = bucket
            lines = run(_target(args, creds), "the simulation")
    else:
        found = credentials.resolve(args.profile, args.use_cvm_role, "read the deployment")
        lines = run(_target(args, Credentials(found.secret_id, found.secret_key, found.token)), found.source)
    counts = {s: sum(1 for x in lines if x.status == s) for s in (OK, PROBLEM, SKIPPED)}
    print(f"doctor: {counts[OK]} ok, {counts[PROBLEM]} problems, {counts[SKIPPED]} skipped")
    sys.stdout.flush()
    return 1 if counts[PROBLEM] else 0
