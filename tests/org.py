"""An organisation in the fake: the central account (the `cloud` fixture's) and member accounts,
each with a role the central account may assume, and this function deployed on the fake SCF."""

import io
import json

from lib import invocation
from lib.cloud import sts as roles
from lib.org import access
from lib.report import JsonLog
from tests.conftest import APPID, BASE_ENV, CONTEXT, REGION, SECRET_ID, SECRET_KEY, TOKEN, fast_connect

CENTRAL_UIN = "100000000001"
ROLE_NAME = "CosCiUnbinderMember"


def member_appid(n: int) -> str:
    return str(1250000100 + n)


def member_uin(n: int) -> str:
    return str(100000000100 + n)


def add_member(cloud, n: int, buckets=(), trusted=(CENTRAL_UIN,), tags=None):
    """Member n with `buckets` (short names) tagged for unbinding; returns (account, role ARN)."""
    account = cloud.add_account(member_uin(n), member_appid(n))
    for short in buckets:
        account.add_bucket(f"{short}-{member_appid(n)}", REGION, tags=tags or {"ci-unbind": "true"})
    role = cloud.sts.add_role(account, ROLE_NAME, trusted)
    return account, role.arn


def fanout_context(**extra):
    return {**CONTEXT, "function_name": "cos-ci-unbinder", "namespace": "default", "function_version": "$LATEST",
            "tencentcloud_region": REGION, "tencentcloud_uin": CENTRAL_UIN, "tencentcloud_appid": APPID, **extra}


class Org:
    """Runs the function's handler path with the central keys, and deploys it on the fake SCF."""

    def __init__(self, cloud, env=None):
        self.cloud = cloud
        self.env = {**BASE_ENV, **(env or {})}
        self.stream = io.StringIO()
        self.log = JsonLog(stream=self.stream, secrets=[SECRET_ID, SECRET_KEY, TOKEN])
        roles.CACHE.clear()
        access._MEMBER_IDENTITIES.clear()

    def settings(self, env=None):
        return invocation.cold_start({**self.env, **(env or {})})

    def handler(self, env=None, **options):
        settings = self.settings(env)
        options.setdefault("sleep", lambda _s: None)

        def main_handler(event, context):
            return invocation.handle(event, context, settings, connect_fn=fast_connect, log=self.log, **options)

        return main_handler

    def deploy(self, env=None, time_limit=900.0, **options):
        return self.cloud.scf.deploy("cos-ci-unbinder", self.handler(env, **options), self.cloud.account,
                                     time_limit=time_limit, region=REGION)

    def __call__(self, event, env=None, context=None, **options):
        return self.handler(env, **options)(event, fanout_context() if context is None else context)

    @property
    def lines(self):
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    def worker_reports(self):
        self.cloud.scf.drain()
        return [inv.result for inv in self.cloud.scf.invocations.values()]
