"""The digest in --simulate: a robot of the fake cloud receives it, and the CLI prints what the
robot's chat would show.

The format is CI_UNBIND_NOTIFY_FORMAT (or, for auto, the one CI_UNBIND_NOTIFY_URL's host implies),
else WeCom. Whatever URL the environment holds is replaced by the fake robot's: a simulation never
posts to a real chat. DingTalk and Feishu robots get a secret, so the signing is exercised too.
"""

from urllib.parse import urlsplit

from ..notify.config import AUTO_HOSTS, FORMATS

SIM_SECRET = "SECsimulated-robot-signing-secret"


def simulated_robot(env: dict) -> tuple:
    """Point the settings in `env` at a robot the fake cloud will have; returns (kind, key, secret)
    for `add_to`. Called before the settings are read, so the run's own settings name the robot."""
    from ..fakecloud.robot_models import Robot, new_key

    fmt = (env.get("CI_UNBIND_NOTIFY_FORMAT") or "auto").strip().lower()
    if fmt not in FORMATS:
        fmt = AUTO_HOSTS.get(urlsplit(env.get("CI_UNBIND_NOTIFY_URL") or "").hostname or "", "wecom")
    secret = SIM_SECRET if fmt in ("dingtalk", "feishu") else None
    spec = (fmt, new_key(fmt), secret)
    env.update({"CI_UNBIND_NOTIFY_URL": Robot(*spec).url, "CI_UNBIND_NOTIFY_FORMAT": fmt,
                "CI_UNBIND_NOTIFY_SECRET": secret or ""})
    return spec


def add_to(cloud, spec: tuple):
    """The robot of `simulated_robot`, in the fake cloud; it keeps what it receives."""
    return cloud.add_robot(*spec)


def describe(robot, report: dict) -> str:
    """What the robot's chat shows after the run, for the terminal."""
    rule = "-" * 72
    if robot.messages:
        # A run over several accounts sends one digest per account: each is part of what happened.
        count = len(robot.messages)
        heading = "this digest" if count == 1 else f"{count} digests"
        body = f"\n{rule}\n".join(m.text for m in robot.messages)
        return f"\n{robot.kind} robot received {heading}:\n{rule}\n{body}\n{rule}"
    if robot.refusals:
        refusal = robot.refusals[-1]
        return f"\nthe {robot.kind} robot refused the digest: {refusal.code} {refusal.message}"
    notify = report.get("notify") or {}
    if notify.get("error"):
        return f"\nno digest delivered: {notify['error']}"
    return "\nno digest: nothing in this run for the robot (see CI_UNBIND_NOTIFY_ON)"
