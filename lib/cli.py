"""Command line: run the handler's own path on an event file, against the fake or the real cloud.

    python -m lib invoke EVENT.json [--simulate [--scenario FILE]] [--apply] [--json] [--logs]

Dry run unless --apply, whatever CI_UNBIND_DRY_RUN says: a person at a terminal opts in to change.
"""

import argparse
import json
import os
import sys
import uuid

from . import run
from .report import JsonLog
from .settings import SettingsError

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
    if report.get("error"):
        lines.append("error: " + _reason_text(report["error"]))
    for ignored in report.get("ignored", []):
        lines.append("ignored event: " + _reason_text({"code": ignored.get("reason", "?"), **{
            k: v for k, v in ignored.items() if k != "reason"}}))
    return "\n".join(lines)


class Progress:
    """A one-line counter on a terminal; nothing at all when stderr is not one."""

    def __init__(self, stream=None):
        self._stream = stream or sys.stderr
        self._count = 0
        self.enabled = self._stream.isatty()

    def __call__(self, result):
        if not self.enabled:
            return
        self._count += 1
        self._stream.write(f"\r  evaluated {self._count} buckets (last: {result.ref.bucket} {result.outcome})\x1b[K")
        self._stream.flush()

    def done(self):
        if self.enabled and self._count:
            self._stream.write("\n")


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
    log = JsonLog(stream=sys.stderr if args.logs else open(os.devnull, "w"))
    progress = Progress()

    if args.simulate:
        from .fakecloud import DEMO_SCENARIO, FakeCloud, load_scenario

        env.update(SIM_CREDENTIALS)
        env.pop("TENCENTCLOUD_SESSIONTOKEN", None)
        cloud = FakeCloud(secret_id=SIM_CREDENTIALS["TENCENTCLOUD_SECRETID"],
                          secret_key=SIM_CREDENTIALS["TENCENTCLOUD_SECRETKEY"])
        with cloud:
            load_scenario(cloud, args.scenario or DEMO_SCENARIO)
            report = run.handle(event, context, run.cold_start(env), log=log, progress=progress)
    else:
        settings = run.cold_start(env)
        if not isinstance(settings, SettingsError) and not settings.credentials:
            print("set TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY (and TENCENTCLOUD_SESSIONTOKEN for "
                  "temporary keys), or use --simulate", file=sys.stderr)
            return 2
        report = run.handle(event, context, settings, log=log, progress=progress)
    progress.done()
    print(json.dumps(report, indent=2, ensure_ascii=False) if args.json else table(report))
    return 0 if report["ok"] else 1


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
    args = parser.parse_args(argv)
    if args.scenario and not args.simulate:
        parser.error("--scenario goes with --simulate")
    return invoke(args)
