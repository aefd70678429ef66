"""`invoke --simulate` with an organisation scenario: the member roles, this function deployed on the
fake SCF (so a fan-out's shards really run), and the lines that show accounts and shards."""

from .. import roles as roles_module
from .. import run
from ..accounts import SELF


def prepare(cloud, env: dict, log, progress=None) -> None:
    """List the scenario's member roles (unless CI_UNBIND_ACCOUNTS is set) and deploy the function."""
    from ..fakecloud.scenario import role_arns

    # Keys cached for an earlier fake cloud in this process mean nothing to this one.
    roles_module.CACHE.clear()
    roles = role_arns(cloud)
    if roles and not env.get("CI_UNBIND_ACCOUNTS"):
        env["CI_UNBIND_ACCOUNTS"] = ",".join(roles)
    settings = run.cold_start(env)

    def main_handler(event, context):
        return run.handle(event, context, settings, log=log)

    cloud.scf.deploy(CONTEXT["function_name"], main_handler, cloud.account, region=CONTEXT["tencentcloud_region"])


# What SCF puts in the context, so that a coordinator can invoke itself.
CONTEXT = {"function_name": "cos-ci-unbinder", "namespace": "default", "function_version": "$LATEST",
           "tencentcloud_region": "ap-guangzhou"}


def worker_reports(cloud) -> list[dict]:
    """The reports of the shards a coordinator started, once they have all ended."""
    cloud.scf.drain()
    return [inv.result for inv in cloud.scf.invocations.values() if isinstance(inv.result, dict)]


def _short(account: str) -> str:
    return account if account == SELF else account.split(":")[4].split("/")[1] + " (member)"


def lines(report: dict) -> list[str]:
    """Accounts (each with its error, if any) and the shards of a coordinator, as text."""
    out = []
    accounts = report.get("accounts") or report.get("fanout", {}).get("accounts") or []
    for a in accounts:
        state = "ok" if a["ok"] else f"error {a['error'].get('code')} {a['error'].get('service_code', '')}".strip()
        out.append(f"account {_short(a['account'])}: {a.get('buckets', 0)} buckets, {state}")
    for s in report.get("fanout", {}).get("shards", []):
        sent = f"started as {s['request_id']}" if s.get("dispatched") else "NOT started"
        out.append(f"shard {s['index'] + 1}/{s['of']} {_short(s['account'])}: {s['buckets']} buckets, {sent}")
    return out
