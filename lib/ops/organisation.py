"""Accounts and shards in the CLI: the lines that show them, and for `invoke --simulate` with an
organisation scenario, its member roles listed and this function deployed on the fake SCF (so a
fan-out's shards really run)."""

# The function's modules (and the SDKs under them) load only when a simulated run needs them: the
# CLI reports a bad file before any SDK is imported.
SELF = "self"  # lib.org.accounts.SELF


def add_accounts(env: dict, scenario) -> None:
    """List the scenario's member roles in CI_UNBIND_ACCOUNTS, unless it is set already."""
    accounts = scenario.get("accounts") if isinstance(scenario, dict) else None
    if not isinstance(accounts, list) or env.get("CI_UNBIND_ACCOUNTS"):
        return
    arns = [f"qcs::cam::uin/{a.get('uin')}:roleName/{a['role']}" for a in accounts
            if isinstance(a, dict) and a.get("role")]
    if arns:
        env["CI_UNBIND_ACCOUNTS"] = ",".join(sorted(arns))


def deploy(cloud, settings, log) -> None:
    """This function on the fake SCF, as the coordinator will invoke it."""
    from .. import invocation
    from ..cloud import sts as roles_module
    from ..org import access

    # Keys and APPIDs kept for an earlier fake cloud in this process mean nothing to this one.
    roles_module.CACHE.clear()
    access._MEMBER_IDENTITIES.clear()

    def main_handler(event, context):
        return invocation.handle(event, {**context, "simulated": True}, settings, log=log)

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
    shard = report.get("shard")
    if shard:
        out.append(f"shard {shard['index'] + 1}/{shard['of']} of run {shard['coordinator_run_id']} for "
                   f"{_short(shard['account'])}")
    accounts = report.get("accounts") or report.get("fanout", {}).get("accounts") or []
    for a in accounts:
        state = "ok" if a["ok"] else f"error {a['error'].get('code')} {a['error'].get('service_code', '')}".strip()
        out.append(f"account {_short(a['account'])}: {a.get('buckets', 0)} buckets, {state}")
    for s in report.get("fanout", {}).get("shards", []):
        sent = f"started as {s['request_id']}" if s.get("dispatched") else "NOT started"
        out.append(f"shard {s['index'] + 1}/{s['of']} {_short(s['account'])}: {s['buckets']} buckets, {sent}")
    return out
