"""`rebind`: undo an unbind with Cloud Infinite's "Binding CI" (PUT / on the bucket's CI host,
Cloud Infinite API 1045/33701), then read the binding status back until it is `on`.

Only a bucket whose status is `off` is bound: `on` is skipped (nothing to undo) and `unbinding` too
(what binding does during an unbind is not documented). Dry run unless --apply. With a state bucket,
each rebind is kept in its history as `rebound` with its request id, and `history` shows it.
"""

import json
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from . import credentials
from .errors import CliError, one_line

ASK_ABOVE = 5  # as a live `invoke`: more buckets than this, or a whole run, asks for yes
VERIFY_PAUSES = (0.0, 0.5, 1.0, 2.0, 4.0)  # status reads after the bind, and the pause before each
OK = ("rebound", "would_rebind", "skipped")
NOT_RESTORED = (
    "A rebind binds the bucket to CI again (image processing, sync content recognition and moderation APIs usable "
    "again). It does NOT restore what had to go before the unbind, nor what is switched on apart: workflows, batch "
    "jobs, automatic and historical review settings; the processing services that were enabled (media, document, "
    "audio, file, AI, async image), each activated on its own; nor their queues and callbacks. Whether image "
    "settings (styles, original-image protection, watermarks, hotlink rules) outlive an unbind is not documented: "
    "check them in the CI console after a rebind.")
HELP = "bind unbound buckets to CI again (dry run unless --apply); see --help for what it does NOT restore"
DESCRIPTION = ("Undo an unbind: bind each bucket named (or every bucket a run unbound, from the state bucket's "
               "history) to Cloud Infinite again with the Binding CI API, then read its status back until it is "
               "on. A bucket already bound is skipped. Dry run unless --apply; a live run on more than 5 buckets "
               "or a whole run asks for yes (--yes for scripts). " + NOT_RESTORED)


def command(_name: str):
    def add(p):
        p.add_argument("--bucket", action="append", metavar="NAME-APPID", help="a bucket to rebind (repeatable)")
        p.add_argument("--region", action="append", help="its region: once for all buckets, or once per --bucket")
        p.add_argument("--run", metavar="RUN_ID", help="every bucket this run unbound (read from the state bucket)")
        p.add_argument("--apply", action="store_true", help="really bind (default: dry run)")
        p.add_argument("--yes", action="store_true", help="with --apply: go ahead without asking")
        p.add_argument("--json", action="store_true", help="print per bucket ci_status_before, ci_status_after, outcome")
        p.add_argument("--simulate", action="store_true", help="the built-in fake cloud: the demo, after its live "
                       f"unbind run ({DEMO_RUN}), so that there is something to undo")
        p.add_argument("--scenario", help="with --simulate: a scenario file (JSON) instead of the demo one")
        credentials.add_arguments(p)

    return HELP, DESCRIPTION, add, main


DEMO_RUN = "demo-unbind"
NO_STATE_BUCKET = ("--run reads the state bucket's history: set CI_UNBIND_STATE_BUCKET and CI_UNBIND_STATE_REGION "
                   "(as the function has them)")


def _seed_demo(cloud, env) -> None:
    """The simulation's history: the demo's live unbind run, as a deployment would have recorded it."""
    from .. import invocation
    from ..report import JsonLog
    from .simulation import SIM_STATE_BUCKET

    settings = invocation.cold_start({**env, "CI_UNBIND_DRY_RUN": "false", "CI_UNBIND_NOTIFY_URL": ""})
    event = {"buckets": [{"bucket": b.name, "region": b.region} for b in cloud.buckets if b.name != SIM_STATE_BUCKET
                         and b.ci_status == "on"]}
    invocation.handle(event, {"request_id": DEMO_RUN, "time_limit_in_ms": 900000}, settings,
                      log=JsonLog(stream=_Null()))


class _Null:
    def write(self, _text):
        pass

    def flush(self):
        pass


def _store(settings):
    from ..cloud.cos import CosClients
    from ..state.store import StateStore

    return StateStore(CosClients(settings.credentials), settings.state_bucket, settings.state_region,
                      settings.state_prefix)


def run_buckets(settings, run_id: str) -> list:
    """The buckets `run_id` unbound, from its record in the state bucket; unknown run: CliError."""
    from ..buckets import BucketRef, InvalidBucket
    from ..state.history import RUNS, safe_id
    from ..state.store import StateError

    if not settings.state_bucket:
        raise CliError(NO_STATE_BUCKET)
    store = _store(settings)
    try:
        listed = [info.key for info in store.list(RUNS)]

        def records_of(ident):
            suffix = f"-{safe_id(ident)}.json"
            found = [store.get_json(key) for key in listed if key.endswith(suffix)]
            return [r for r in found if isinstance(r, dict) and str(r.get("run_id")) == ident]

        records = records_of(run_id)
        # A fanned-out sweep: its shards recorded their own runs, each under the id its coordinator
        # names in `fanout.shards`; their unbinds are the sweep's.
        for shard in [e for r in records for e in (r.get("fanout") or {}).get("shards") or []]:
            if isinstance(shard, dict) and isinstance(shard.get("request_id"), str) and shard["request_id"]:
                records += records_of(shard["request_id"])
    except StateError as err:
        raise CliError(one_line(f"--run: the state bucket cannot be read: {err.code}: {err.message}")) from None
    if not records:
        raise CliError(one_line(f"unknown run id {run_id!r}: no such run in the state bucket's history "
                                "(`history` lists the runs)"))
    refs = []
    for record in records:
        for result in record.get("results") or []:
            if isinstance(result, dict) and result.get("outcome") == "unbound":
                try:
                    refs.append(BucketRef(region=result.get("region"), bucket=result.get("bucket")))
                except InvalidBucket:
                    continue  # a record we cannot build a host from is never called
    return list(dict.fromkeys(refs))


def rebind_one(ref, ci, apply: bool, sleep=time.sleep) -> dict:
    from ..cloud.cos import NO_RETRY, Trace
    from ..cloud.errors import ApiError

    trace = Trace()
    out = {"bucket": ref.bucket, "region": ref.region, "outcome": "error", "reasons": [],
           "ci_status_before": None, "ci_status_after": None}
    try:
        before = ci.status(ref, trace)
    except ApiError as err:
        return {**out, "reasons": [err.as_reason()], "calls": trace.calls}
    out["ci_status_before"] = out["ci_status_after"] = before
    if before in ("on", "unbinding"):
        why = "already_bound" if before == "on" else "unbinding"
        return {**out, "outcome": "skipped", "reasons": [{"code": why, "status": before}], "calls": trace.calls}
    if before != "off":
        return {**out, "reasons": [{"code": "unknown_status", "status": before}], "calls": trace.calls}
    if not apply:
        return {**out, "outcome": "would_rebind", "reasons": [{"code": "dry_run"}], "calls": trace.calls}
    try:
        request_id = ci.bind(ref, trace)
    except ApiError as err:
        return {**out, "reasons": [err.as_reason()], "calls": trace.calls}
    accepted = {"code": "bind_accepted", "request_id": request_id}
    status, error = None, None
    for pause in VERIFY_PAUSES:
        if pause:
            sleep(pause)
        try:
            status, error = ci.status(ref, trace, retry=NO_RETRY), None
        except ApiError as err:
            error = err
        if status == "on":
            break
    out["ci_status_after"] = status
    if status == "on":
        return {**out, "outcome": "rebound", "reasons": [accepted, {"code": "ci_status", "status": "on"}],
                "calls": trace.calls}
    tail = [error.as_reason()] if error is not None else []
    return {**out, "reasons": [accepted, {"code": "unverified", "status": status}, *tail], "calls": trace.calls}


def _record(settings, results, run_id: str) -> list:
    """The rebinds in the state bucket's history (its failures, as reasons)."""
    from ..clock import iso_utc
    from ..state.history import record_run

    done = [r for r in results if r["outcome"] in ("rebound", "error") and r.get("ci_status_before") == "off"]
    if not done:
        return []
    now = datetime.now(timezone.utc)
    summary = {}
    for r in done:
        summary[r["outcome"]] = summary.get(r["outcome"], 0) + 1
    report = {"ok": all(r["outcome"] == "rebound" for r in done), "trigger": "rebind", "dry_run": False,
              "run_id": run_id, "summary": summary, "results": done, "recorded_at": iso_utc(now)}
    return record_run(_store(settings), report, now, kind="rebind")


def main(args) -> int:
    """0: every bucket is bound (or would be); 1: some bind failed or could not be confirmed."""
    from ..cloud import pacing
    from ..cloud.ci import CIClient
    from ..cloud.cos import CosClients
    from ..report import scrub
    from . import targets
    from .confirm import ask_yes
    from .opsenv import environment, secrets_of

    if args.run and (args.bucket or args.region):
        raise CliError("name buckets with --bucket/--region or a run with --run, not both")
    if not args.run and not args.bucket:
        raise CliError("name the buckets: --bucket NAME-APPID --region REGION (repeatable), or --run RUN_ID")
    named = [] if args.run else targets.pairs(args.bucket, args.region)

    def before(settings):
        if args.run and not settings.state_bucket:
            raise CliError(NO_STATE_BUCKET)
        targets.check_owner(named, settings.appid)

    with environment(args, "bind buckets to CI (or with --run, read the state bucket)", before) as (settings, env,
                                                                                                   cloud):
        if cloud is not None:
            _seed_demo(cloud, env)
        appid = settings.appid or targets.own_appid(settings)
        targets.check_owner(named, appid, "TENCENTCLOUD_APPID" if settings.appid else "CAM GetUserAppId for your keys")
        refs = run_buckets(settings, args.run) if args.run else named
        foreign = [r for r in refs if r.appid != appid]
        if foreign:
            print(f"note: {len(foreign)} buckets of other accounts left out: rebind them with that account's keys",
                  file=sys.stderr)
            refs = [r for r in refs if r.appid == appid]
        if not refs:
            print(f"run {args.run} unbound no bucket of this account: nothing to rebind")
            return 0
        if args.apply and not args.simulate and (len(refs) > ASK_ABOVE or args.run):
            print(f"LIVE rebind of {len(refs)} buckets:", file=sys.stderr)
            for ref in refs[:50]:
                print(f"  {ref.bucket} ({ref.region})", file=sys.stderr)
            print(NOT_RESTORED, file=sys.stderr)
            ask_yes(args.yes, "rebind these buckets")
        ci = CIClient(CosClients(settings.credentials, pool_size=settings.concurrency))
        paced = pacing.Pacing(settings.max_rps)
        pacing.begin(paced)
        try:
            with ThreadPoolExecutor(max_workers=max(1, min(settings.concurrency, len(refs)))) as pool:
                results = list(pool.map(lambda ref: rebind_one(ref, ci, args.apply), refs))
        finally:
            pacing.end(paced)
        secrets = secrets_of(env)
        results = scrub(results, secrets)
        run_id = f"rebind-{uuid.uuid4()}"
        failures = _record(settings, results, run_id) if args.apply and settings.state_bucket else []
    summary = {}
    for r in results:
        summary[r["outcome"]] = summary.get(r["outcome"], 0) + 1
    if args.json:
        out = {"run_id": run_id, "dry_run": not args.apply, "buckets": results, "summary": summary,
               "history_failures": failures}
        print(json.dumps(scrub(out, secrets), indent=2, ensure_ascii=False))
    else:
        print("\n".join(_lines(results, args, run_id, summary, failures, settings)))
    bad = failures or any(r["outcome"] not in OK for r in results)
    return 1 if bad else 0


def _lines(results, args, run_id, summary, failures, settings) -> list:
    from .history import reason_text

    mode = "simulated, " if args.simulate else ""
    mode += "dry run: nothing was bound" if not args.apply else ("binds applied to the fake cloud" if args.simulate
                                                                  else "LIVE")
    lines = [f"rebind {run_id} ({mode})", ""]
    for r in results:
        reasons = "; ".join(reason_text(x) for x in r["reasons"]) or "-"
        lines.append(f"{r['bucket']}  {r['region']}  {r['ci_status_before'] or '?'} -> "
                     f"{r['ci_status_after'] or '?'}  {r['outcome']}  {reasons}")
    lines += ["", "summary: " + ", ".join(f"{k}: {v}" for k, v in summary.items())]
    if args.apply and settings.state_bucket and not failures and any(r["outcome"] == "rebound" for r in results):
        lines.append(f"recorded in the state bucket's history as run {run_id} (`history` shows it)")
    lines += [f"history NOT recorded: {reason_text(f)}" for f in failures]
    lines.append("note: " + NOT_RESTORED)
    return lines
