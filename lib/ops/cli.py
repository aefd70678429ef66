"""Command line: run the handler's own path on an event file, against the fake or the real cloud.

    python -m lib invoke EVENT.json [--simulate [--scenario FILE]] [--apply] [--json] [--logs]
    python -m lib setup-eventbridge --uin UIN [--region R] [--function F] [--namespace N]
                                    [--qualifier Q] [--rule-name R] [--event-bus-id ID] [--dry-run]

Dry run unless --apply, whatever CI_UNBIND_DRY_RUN says: a person at a terminal opts in to change.
"""

import argparse
import json
import os
import sys
import uuid

from .. import run
from ..report import JsonLog
from ..settings import SettingsError
from . import eventbridge, org

SIM_CREDENTIALS = {"TENCENTCLOUD_SECRETID": "AKIDSIMULATEDEXAMPLE", "TENCENTCLOUD_SECRETKEY": "simulated-secret-key"}


def _reason_text(reason: dict) -> str:
    code = reason.get("code", "?")
    details = [f"{k}={v}" for k, v in reason.items() if k != "code" and v not in (None, "", [], {})]
    return code + (" " + " ".join(details) if details else "")


def table(report: dict) -> str:
    rows = [("BUCKET", "REGION", "OUTCOME", "REASONS")]
    for r in report["results"]:
        reasons = "; ".join(_reason_text(x) for x in r["reasons"]) or "-"
        rows.append((r["bucket"], r["region"], r["outcome"], reasons))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(row)) for row in rows]
    summary = ", ".join(f"{k}: {v}" for k, v in report["summary"].items()) or "nothing to do"
    mode = "dry run" if report["dry_run"] else "LIVE"
    lines.append("")
    lines.append(f"{report['trigger'] or '-'} run {report['run_id']} ({mode}): {summary}")
    if report.get("shard"):
        lines.append(f"shard {report['shard']['index'] + 1}/{report['shard']['of']} of {report['shard']['coordinator_run_id']}"
                     f" for {report['shard']['account']}")
    lines.extend(org.lines(report))
    if report.get("error"):
        lines.append("error: " + _reason_text(report["error"]))
    for ignored in report.get("ignored", []):
        lines.append("ignored event: " + _reason_text({"code": ignored.get("reason", "?"), **{
            k: v for k, v in ignored.items() if k != "reason"}}))
    return "\n".join(lines)


class Progress:
    """A progress bar on a terminal (stderr); nothing at all when stderr is not one, so it never
    reaches a log."""

    WIDTH = 30

    def __init__(self, stream=None):
        self._stream = stream or sys.stderr
        self._shown = False
        self.enabled = self._stream.isatty()

    def __call__(self, result, done: int, total: int):
        if not self.enabled:
            return
        filled = self.WIDTH * done // max(total, 1)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self._stream.write(f"\r  [{bar}] {done}/{total} buckets (last: {result.ref.bucket} {result.outcome})\x1b[K")
        self._stream.flush()
        self._shown = True

    def done(self):
        if self._shown:
            self._stream.write("\n")


class _Discard:
    def write(self, _text):
        pass

    def flush(self):
        pass


def _log(args, env) -> JsonLog:
    """The function's log lines: to stderr with --logs, else nowhere; secrets scrubbed either way."""
    secrets = [env.get(k, "") for k in ("TENCENTCLOUD_SECRETID", "TENCENTCLOUD_SECRETKEY",
                                        "TENCENTCLOUD_SESSIONTOKEN")]
    return JsonLog(stream=sys.stderr if args.logs else _Discard(), secrets=secrets)


def invoke(args) -> int:
    with open(args.event, encoding="utf-8") as fh:
        try:
            event = json.load(fh)
        except ValueError as err:
            print(f"{args.event}: not JSON: {err}", file=sys.stderr)
            return 2
    env = dict(os.environ)
    env["CI_UNBIND_DRY_RUN"] = "false" if args.apply else "true"
    context = {"request_id": f"cli-{uuid.uuid4()}", "time_limit_in_ms": args.time_limit * 1000}
    progress = Progress()

    if args.simulate:
        from ..fakecloud import DEMO_SCENARIO, FakeCloud, load_scenario

        env.update(SIM_CREDENTIALS)
        env.pop("TENCENTCLOUD_SESSIONTOKEN", None)
        log = _log(args, env)
        cloud = FakeCloud(secret_id=SIM_CREDENTIALS["TENCENTCLOUD_SECRETID"],
                          secret_key=SIM_CREDENTIALS["TENCENTCLOUD_SECRETKEY"])
        with cloud:
            load_scenario(cloud, args.scenario or DEMO_SCENARIO)
            org.prepare(cloud, env, log)
            context.update(org.CONTEXT)
            report = run.handle(event, context, run.cold_start(env), log=log, progress=progress)
            workers = org.worker_reports(cloud)
    else:
        log = _log(args, env)
        settings = run.cold_start(env)
        if not isinstance(settings, SettingsError) and not settings.credentials:
            print("set TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY (and TENCENTCLOUD_SESSIONTOKEN for "
                  "temporary keys), or use --simulate", file=sys.stderr)
            return 2
        report = run.handle(event, context, settings, log=log, progress=progress)
        workers = []
    progress.done()
    if args.json:
        print(json.dumps({**report, "shard_reports": workers} if workers else report, indent=2, ensure_ascii=False))
    else:
        print("\n\n".join([table(report)] + [table(w) for w in workers]))
    return 0 if report["ok"] else 1


def setup_eventbridge(args) -> int:
    secret_id = os.environ.get("TENCENTCLOUD_SECRETID", "")
    secret_key = os.environ.get("TENCENTCLOUD_SECRETKEY", "")
    if not (secret_id and secret_key):
        print("set TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY (and TENCENTCLOUD_SESSIONTOKEN for temporary "
              "keys) to a user allowed to manage EventBridge rules", file=sys.stderr)
        return 2
    uin = args.uin or os.environ.get("TENCENTCLOUD_UIN", "")
    if not uin:
        print("give the account ID (UIN) the function belongs to: --uin or TENCENTCLOUD_UIN", file=sys.stderr)
        return 2
    options = eventbridge.Options(uin=uin, region=args.region, function=args.function, namespace=args.namespace,
                                  qualifier=args.qualifier, rule_name=args.rule_name,
                                  event_bus_id=args.event_bus_id)
    try:
        api = eventbridge.EbApi.connect(secret_id, secret_key, os.environ.get("TENCENTCLOUD_SESSIONTOKEN") or None,
                                        args.region)
    except ImportError:
        print("the EventBridge SDK is missing: pip install -r requirements-dev.txt", file=sys.stderr)
        return 2
    try:
        outcome = eventbridge.setup(api, options, dry_run=args.dry_run)
    except eventbridge.SetupError as err:
        print(f"setup-eventbridge: {err}", file=sys.stderr)
        return 1
    print("\n".join(outcome.lines()))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("invoke", help="run an event through the handler's path")
    p.add_argument("event", help="an event file, e.g. events/manual.json")
    p.add_argument("--simulate", action="store_true", help="use the built-in fake cloud, not Tencent Cloud")
    p.add_argument("--scenario", help="with --simulate: a scenario file instead of the demo one")
    p.add_argument("--apply", action="store_true", help="really unbind (default: dry run)")
    p.add_argument("--json", action="store_true", help="print the whole report as JSON")
    p.add_argument("--logs", action="store_true", help="also write the function's JSON log lines to stderr")
    p.add_argument("--time-limit", type=int, default=900, help="seconds, as the function's timeout (900)")

    e = sub.add_parser("setup-eventbridge", help="find or create the EventBridge rule and its target (idempotent)",
                       description="Find or create, on the region's cloud-service event bus, the rule that "
                       "sends bucket-tagging calls to the function, and its SCF target. Credentials come "
                       "from TENCENTCLOUD_SECRETID/SECRETKEY/SESSIONTOKEN.")
    e.add_argument("--uin", help="the account ID (UIN) that owns the function (default: TENCENTCLOUD_UIN)")
    for flag, default, what in (("--region", eventbridge.DEFAULT_REGION, "the function's region"),
                                ("--function", eventbridge.DEFAULT_FUNCTION, "the function's name"),
                                ("--namespace", eventbridge.DEFAULT_NAMESPACE, "the function's namespace"),
                                ("--qualifier", eventbridge.DEFAULT_QUALIFIER, "the alias or version events go to"),
                                ("--rule-name", eventbridge.RULE_NAME, "the rule's name")):
        e.add_argument(flag, default=default, help=f"{what} ({default})")
    e.add_argument("--event-bus-id", help="use this bus instead of the region's cloud-service bus")
    e.add_argument("--dry-run", action="store_true", help="read only; print what would be created or updated")
    args = parser.parse_args(argv)
    if args.command == "setup-eventbridge":
        return setup_eventbridge(args)
    if args.scenario and not args.simulate:
        parser.error("--scenario goes with --simulate")
    return invoke(args)
