"""`doctor --simulate`: a deployment on the fake cloud as the runbook makes it (the demo buckets,
the state bucket, the role and policy of setup-role, the EventBridge rule of setup-eventbridge, the
function with serverless.yml's environment and timer, a robot), on which every check holds; a
scenario's "break" list breaks chosen parts of it, one per check."""

import json
from contextlib import contextmanager

from .errors import CliError
from .simulation import SIM_CREDENTIALS, SIM_REGION, SIM_STATE_BUCKET, SIM_STATE_ENV, SIM_UIN

HEADING = "simulated deployment on the fake cloud: nothing real is read or changed"
PROBE_BUCKET = "demo-paused-workflow-1250000000"  # bound to CI, with a workflow: every per-bucket read has data
FUNCTION = "cos-ci-unbinder"
# What each break does, and the check it breaks.
BREAKS = {
    "keys": "doctor signs with keys the cloud does not know (keys)",
    "function": "no function deployed (function)",
    "runtime": "the function runs Python3.6 (function)",
    "settings": "CI_UNBIND_DRY_RUN=perhaps in its environment (settings)",
    "missing_permission": "the role's policy lacks ci:DescribeMediaWorkflows (role)",
    "denied_read": "these keys may not list workflows (permission ci:DescribeMediaWorkflows)",
    "no_timer": "the function has no timer trigger (timer)",
    "no_rule": "setup-eventbridge was never run (eventbridge)",
    "versioned_state_bucket": "the state bucket had versioning enabled (state bucket)",
    "robot": "the robot's webhook key is wrong (robot, with --send-test)",
}


def breaks_of(scenario) -> set:
    found = scenario.get("break", []) if isinstance(scenario, dict) else None
    if not isinstance(found, list) or not all(isinstance(b, str) for b in found):
        raise CliError('scenario: expected {"break": [...]} naming parts of the deployment to break')
    unknown = sorted(set(found) - set(BREAKS))
    if unknown:
        raise CliError(f"scenario: unknown break {', '.join(unknown)} (known: {', '.join(BREAKS)})")
    return set(found)


def _environment() -> dict:
    import yaml

    from .validate import ROOT

    inputs = yaml.safe_load((ROOT / "serverless.yml").read_text(encoding="utf-8"))["inputs"]
    variables = {k: str(v) for k, v in (inputs.get("environment") or {}).get("variables", {}).items()}
    return {**variables, **SIM_STATE_ENV}


@contextmanager
def deployment(breaks: set):
    """Yields (the keys doctor uses, the bucket to prove per-bucket reads on, the fake cloud) while it serves."""
    from ..fakecloud import DEMO_SCENARIO, FakeCloud, load_scenario
    from ..fakecloud.scf_models import timer_trigger
    from ..settings import Credentials
    from . import eventbridge, notify_demo, roles
    from .camapi import CamApi
    from .simulation import simulated_state

    keys = (SIM_CREDENTIALS["TENCENTCLOUD_SECRETID"], SIM_CREDENTIALS["TENCENTCLOUD_SECRETKEY"], None)
    cloud = FakeCloud(secret_id=keys[0], secret_key=keys[1], uin=SIM_UIN)
    with cloud:
        load_scenario(cloud, DEMO_SCENARIO)
        simulated_state(cloud)
        env = _environment()
        robot = notify_demo.add_to(cloud, notify_demo.simulated_robot(env))
        cam = CamApi.connect(*keys)
        roles.setup_role(cam, roles.RoleOptions(state_bucket=SIM_STATE_BUCKET))
        if "no_rule" not in breaks:
            eventbridge.setup(eventbridge.EbApi.connect(*keys, SIM_REGION),
                              eventbridge.Options(uin=SIM_UIN, region=SIM_REGION, function=FUNCTION))
        if "function" not in breaks:
            fn = cloud.scf.deploy(FUNCTION, lambda event, context: {}, cloud.account, region=SIM_REGION)
            fn.environment, fn.role = env, roles.ROLE_NAME
            fn.triggers = [] if "no_timer" in breaks else [timer_trigger("ci-unbind-sweep", "0 */30 * * * * *")]
            if "runtime" in breaks:
                fn.runtime = "Python3.6"
            if "settings" in breaks:
                fn.environment = {**env, "CI_UNBIND_DRY_RUN": "perhaps"}
            if "robot" in breaks:
                fn.environment = {**fn.environment, "CI_UNBIND_NOTIFY_URL": env["CI_UNBIND_NOTIFY_URL"].replace(
                    robot.key, "0" * len(robot.key))}
        if "missing_permission" in breaks:
            (policy,) = cloud.cam.attached_to(roles.ROLE_NAME)
            document = json.loads(policy.document)
            for statement in document["statement"]:
                statement["action"] = [a for a in statement["action"] if a != "name/ci:DescribeMediaWorkflows"]
            cloud.cam.update_policy(policy.id, json.dumps(document))
        if "denied_read" in breaks:
            cloud.inject("GET /workflow", status=403, code="AccessDenied", message="Access Denied.", times=None)
        if "versioned_state_bucket" in breaks:
            cloud.objects.bucket(SIM_STATE_BUCKET).versioning = "Enabled"
        if "keys" in breaks:
            keys = ("AKIDNOTKNOWNTOTHEFAKE0", "not-the-fakes-secret-key", None)
        yield Credentials(*keys), PROBE_BUCKET, cloud
