"""The production profile: what a real deployment turns on, all at once. A state bucket, a chat
robot, the default rate (50/s) and cap (20), and a fan-out of 4 shards of one account over 5,000
mixed buckets, swept twice (the second time with nothing changed). Each shard runs in a process of
its own, as SCF runs it; every request of every process goes to one fake cloud in a process of its
own, 20 ms away, and each new connection to a host pays a TCP and a TLS handshake (3 round trips).

    python bench/production.py [--buckets 5000] [--shards 4] [--latency-ms 20] [--json]

Each figure is printed beside its target.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from array import array
from urllib.parse import urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from big_event import ROBOT_KEY, STATE_BUCKET, production_env  # noqa: E402
from sweep import APPID, SECRET_ID, SECRET_KEY, kind_of, max_in_window, populate  # noqa: E402

from lib import invocation  # noqa: E402
from lib.fakecloud import FakeCloud  # noqa: E402
from lib.fakecloud.calllog import CallLog  # noqa: E402
from lib.fakecloud.remote import ProcessTransport  # noqa: E402
from lib.report import JsonLog  # noqa: E402

REGION = "ap-guangzhou"
FUNCTION = "cos-ci-unbinder"
TIME_LIMIT_S = 900  # serverless.yml's timeout
HANDSHAKE_ROUND_TRIPS = 3  # TCP one, TLS two
POPULATION = "steady"  # bench/sweep.py: mixed, with the clean buckets an account has left after earlier sweeps
TIMER = {"Type": "Timer", "TriggerName": "sweep-hourly", "Time": "2026-12-04T00:00:00Z"}


class Coordinator(ProcessTransport):
    """The coordinator's own requests (discovery, its state bucket), stamped as they leave."""

    def __init__(self, *args, **kwargs):
        self.stamps = array("d")
        super().__init__(*args, **kwargs)

    def on_send(self, request):
        if (urlsplit(request.url).hostname or "").endswith(".myqcloud.com"):
            self.stamps.append(time.monotonic())


def context(sweep: int) -> dict:
    return {"request_id": f"sweep-{sweep}", "time_limit_in_ms": TIME_LIMIT_S * 1000, "function_name": FUNCTION,
            "namespace": "default", "function_version": "$LATEST", "tencentcloud_region": REGION,
            "tencentcloud_appid": APPID}


STATE_KINDS = {"runs": "run records", "buckets": "bucket objects", "leases": "leases", "latest.json": "index",
               "notify": "notified record", "days": "day slots"}


def state_kind(bucket, path: str):
    """What kind of state object a call was on (its key's first part under the prefix), else None."""
    if bucket != STATE_BUCKET:
        return None
    parts = path.strip("/").split("/")[1:]  # less the prefix
    if parts[:1] == ["sweeps"]:
        return {"last.json": "sweep mark"}.get(parts[1] if len(parts) > 1 else "",
                                               "sweep slots" if "cap" in parts else "sweep claim")
    return STATE_KINDS.get(parts[0] if parts else "", "other")


def build(n: int, env: dict, address: str, latency: float, out_dir: str):
    """The fake cloud, with this function deployed on its SCF: each invocation a worker process."""
    kinds = {f"b{i:05d}-{APPID}": kind_of(i, POPULATION) for i in range(n)}

    def group(bucket):
        return "state" if bucket == STATE_BUCKET else kinds.get(bucket, "other")

    def handler(event, ctx):
        job = {"event": event, "context": ctx, "env": env, "address": address, "latency": latency,
               "handshake_round_trips": HANDSHAKE_ROUND_TRIPS}
        done = subprocess.run([sys.executable, os.path.join(HERE, "shard_worker.py")], input=json.dumps(job),
                              capture_output=True, text=True, timeout=TIME_LIMIT_S + 60)
        if done.returncode:
            raise RuntimeError(done.stderr[-2000:])
        with open(os.path.join(out_dir, f"{ctx['request_id']}.json"), "w") as fh:
            fh.write(done.stdout)
        return json.loads(done.stdout)["report"]

    def make() -> FakeCloud:
        cloud = FakeCloud(appid=APPID, secret_id=SECRET_ID, secret_key=SECRET_KEY,
                          call_log=CallLog.counting(group, key_group=state_kind))
        populate(cloud, n, POPULATION)
        cloud.add_bucket(STATE_BUCKET, REGION, ci_status="off")
        cloud.add_robot("wecom", key=ROBOT_KEY)
        cloud.scf.deploy(FUNCTION, handler, cloud.account, time_limit=TIME_LIMIT_S, region=REGION)
        return cloud

    return make, kinds


def wait_for(out_dir: str, names: set, timeout: float = TIME_LIMIT_S) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(os.path.exists(os.path.join(out_dir, f"{name}.json")) for name in names):
            break
        time.sleep(0.2)
    out = []
    for name in sorted(names):
        with open(os.path.join(out_dir, f"{name}.json")) as fh:
            out.append(json.load(fh))
    return out


def diff(after: dict, before: dict) -> dict:
    return {k: after.get(k, 0) - before.get(k, 0) for k in set(after) | set(before) if after.get(k, 0) != before.get(k, 0)}


def sweep_once(number: int, settings, transport, out_dir: str) -> dict:
    before = transport.stats()
    transport.stamps = array("d")
    started = time.perf_counter()
    report = invocation.handle(TIMER, context(number), settings, log=JsonLog(stream=open(os.devnull, "w")))
    coordinator_wall = time.perf_counter() - started
    if report.get("error"):
        raise SystemExit(f"bench: the coordinator failed: {report['error']}")
    shards = [s for s in report.get("fanout", {}).get("shards", []) if s.get("dispatched")]
    workers = wait_for(out_dir, {s["request_id"] for s in shards})
    after = transport.stats()
    stamps = list(transport.stamps) + [t for w in workers for t in w["stamps"]]
    groups = diff({f"{g}|{e}": c for (g, e), c in after["by_group"].items()},
                  {f"{g}|{e}": c for (g, e), c in before["by_group"].items()})
    endpoints = diff(after["counts_by_endpoint"], before["counts_by_endpoint"])
    written = diff({k: c for (k, e), c in after["by_key"].items() if e == "PUT Object"},
                   {k: c for (k, e), c in before["by_key"].items() if e == "PUT Object"})
    summary: dict = {}
    for w in workers:
        for outcome, count in w["report"]["summary"].items():
            summary[outcome] = summary.get(outcome, 0) + count
    return {"coordinator_wall_s": coordinator_wall, "coordinator_ok": report["ok"], "coordinator_error": report.get("error"),
            "shard_walls_s": [w["wall_s"] for w in workers], "shards": len(shards),
            "shards_ok": all(w["report"]["ok"] for w in workers), "summary": summary,
            "state_writes": sum(c for k, c in groups.items() if k.startswith("state|") and k.endswith("PUT Object")),
            "state_writes_by_kind": dict(sorted(written.items(), key=lambda kv: -kv[1])),
            "digests": endpoints.get("robot:wecom", 0),
            "peak_1s_requests": max_in_window(stamps), "handshakes": sum(w["handshakes"] for w in workers),
            "shard_peak_rss_mb": max((w["peak_rss_mb"] for w in workers), default=0),
            "groups": groups, "errors_or_refused": summary.get("error", 0) + summary.get("refused", 0)}


def run(n: int, shards: int, latency: float, big: bool = True, **settings_env) -> dict:
    env = {**production_env(), "CI_UNBIND_FANOUT": "on", "CI_UNBIND_SHARD_SIZE": str(-(-n // shards)),
           **settings_env}
    settings = invocation.cold_start(env)
    if not hasattr(settings, "credentials"):
        raise SystemExit(f"bench: settings refused: {settings}")
    folder = tempfile.mkdtemp(prefix="production-")
    address = os.path.join(folder, "socket")
    out_dir = os.path.join(folder, "out")
    os.mkdir(out_dir)
    make, kinds = build(n, env, address, latency, out_dir)

    transport = Coordinator(make, latency, address=address, handshake_round_trips=HANDSHAKE_ROUND_TRIPS)
    try:
        with transport:
            first = sweep_once(1, settings, transport, out_dir)
            second = sweep_once(2, settings, transport, out_dir)
    finally:
        transport.close()
    clean = sum(1 for k in kinds.values() if k == "clean")
    calls_clean = sum(c for k, c in first["groups"].items() if k.startswith("clean|"))
    state_calls = sum(c for k, c in first["groups"].items() if k.startswith("state|"))
    big_event = None
    if big:
        done = subprocess.run([sys.executable, os.path.join(HERE, "big_event.py"), "--json"], capture_output=True,
                              text=True, check=True)
        big_event = json.loads(done.stdout)
    return {"buckets": n, "shards": shards, "latency_ms": latency * 1000, "first": first, "second": second,
            "calls_per_clean_bucket": calls_clean / max(clean, 1),
            "state_calls_first": state_calls,
            "big_event": big_event}


def page(r: dict) -> str:
    f, s, b = r["first"], r["second"], r["big_event"]
    news = f["summary"].get("unbound", 0) + f["summary"].get("blocked", 0) + f["errors_or_refused"]
    walls = [f["coordinator_wall_s"], *f["shard_walls_s"], s["coordinator_wall_s"], *s["shard_walls_s"]]
    # What the safety of each unbind costs on top (its lease, taken then released; the sweep's slot),
    # each shard with news its record, and the sweep the claim of its end besides its mark.
    unbound = f["summary"].get("unbound", 0)
    recorded = max(f["state_writes_by_kind"].get("run records", 0) - 1, 0)
    allowed = 3 + news + 3 * unbound + recorded + 2
    extra = f"3 + {news} + 3 × {unbound} unbinds + {recorded} shard records + mark and claim"
    rows = [
        ("slowest invocation (wall)", f"{max(walls):.1f} s", f"≤ {TIME_LIMIT_S} s, every one", max(walls) <= TIME_LIMIT_S),
        ("state objects written, first sweep", f"{f['state_writes']}", f"≤ 3 + {news}", f["state_writes"] <= 3 + news),
        ("  with each unbind's lease and sweep slot", f"{f['state_writes']}", f"≤ {allowed} ({extra})",
         f["state_writes"] <= allowed),
        ("state objects written, unchanged sweep", f"{s['state_writes']}", "≤ 5", s["state_writes"] <= 5),
        ("peak CI+COS requests in 1 s, first sweep", f"{f['peak_1s_requests']}", "≤ 50", f["peak_1s_requests"] <= 50),
        ("peak CI+COS requests in 1 s, second sweep", f"{s['peak_1s_requests']}", "≤ 50", s["peak_1s_requests"] <= 50),
        ("digests, first sweep", f"{f['digests']}", "≤ 1", f["digests"] <= 1),
        ("digests, unchanged sweep", f"{s['digests']}", "0", s["digests"] == 0),
        ("calls per clean bucket (its own hosts)", f"{r['calls_per_clean_bucket']:.2f}", "(reported)", None),
        ("state-bucket calls, first sweep", f"{r['state_calls_first']}", "(reported)", None),
    ]
    if b is not None:
        rows[8:8] = [("200,000-bucket event, wall", f"{b['wall_s']:.1f} s", "< 60 s", b["wall_s"] < 60),
                     ("200,000-bucket event, peak RSS", f"{b['peak_rss_mb']:.0f} MB", "< 256 MB", b["peak_rss_mb"] < 256)]
    out = [f"production profile: {r['buckets']} buckets ({POPULATION} population), {r['first']['shards']} shards, {r['latency_ms']:.0f} ms, "
           f"3 round trips per new connection; first sweep {f['summary']}, second {s['summary']}", ""]
    for name, value, target, met in rows:
        mark = "" if met is None else ("  met" if met else "  NOT MET")
        out.append(f"{name:44} {value:>10}   target {target}{mark}")
    for sweep, label in ((f, "first sweep"), (s, "unchanged sweep")):
        kinds = ", ".join(f"{k} {v}" for k, v in sweep["state_writes_by_kind"].items()) or "none"
        out.append(f"state objects written, {label}, by kind: {kinds}")
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buckets", type=int, default=5000)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(args.buckets, args.shards, args.latency_ms / 1000.0)
    print(json.dumps(result, default=str) if args.json else page(result))


if __name__ == "__main__":
    main()
