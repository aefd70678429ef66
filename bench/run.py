"""The whole benchmark in one command: every sweep in a fresh process, the cold start from the
built zip, each figure beside its target; writes BENCHMARKS.md.

    python bench/run.py [--quick] [--write BENCHMARKS.md] [--note "what else ran on the machine"]

Full size (100, 1,000, 5,000 and 10,000 buckets; about 12 minutes on a quiet 2-core machine) or
--quick (100 and 1,000; about 3 minutes). Without --write it prints the page.
"""

import argparse
import dataclasses
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import benchpage  # noqa: E402

from lib.settings import Settings  # noqa: E402

LATENCY_MS = 20
CONCURRENCY = 16
# The most CI_UNBIND_MAX_RPS accepts, above what a sweep here reaches (16 workers at 20 ms: 800/s):
# the request-rate limit "set out of the way".
NO_RATE_LIMIT = 1000


def has_rate_limit() -> bool:
    return "max_rps" in {f.name for f in dataclasses.fields(Settings)}


def plan(quick: bool) -> list[dict]:
    sizes = (100, 1000) if quick else (100, 1000, 5000, 10000)
    out_of_way = NO_RATE_LIMIT if has_rate_limit() else None
    runs = []
    for n in sizes:
        for population in ("mixed", "clean"):
            for live in (False, True):
                runs.append({"group": "sweep", "buckets": n, "population": population, "live": live,
                             "concurrency": CONCURRENCY, "max_rps": out_of_way})
    seq = 100 if quick else 1000
    runs.append({"group": "sequential", "buckets": seq, "population": "mixed", "live": False,
                 "concurrency": 1, "max_rps": out_of_way})
    # The target's sweeps again with the fake inside the product's process (the thin transport the
    # issue asked for, as this page measured before): its CPU then shares the product's lock, but
    # each call hands the lock over once (its sleep) where a socket hands it over twice.
    for n in sizes[1:3]:
        for population in ("mixed", "clean"):
            for live in (False, True):
                runs.append({"group": "fake_in_process", "buckets": n, "population": population, "live": live,
                             "concurrency": CONCURRENCY, "max_rps": out_of_way, "harness": "thread"})
    if not quick:  # the peak RSS target counts the product and the thin harness in one process
        runs.append({"group": "fake_in_process", "buckets": 10000, "population": "clean", "live": True,
                     "concurrency": CONCURRENCY, "max_rps": out_of_way, "harness": "thread"})
    runs.append({"group": "default_cap", "buckets": 1000 if quick else 5000, "population": "clean",
                 "live": False, "concurrency": CONCURRENCY, "cap": "default", "max_rps": out_of_way})
    if has_rate_limit():
        runs.append({"group": "rate", "buckets": 100 if quick else 1000, "population": "mixed", "live": False,
                     "concurrency": CONCURRENCY, "max_rps": "default"})
    return runs


def sweep(spec: dict) -> dict:
    cmd = [sys.executable, str(HERE / "sweep.py"), "--json", "--buckets", str(spec["buckets"]),
           "--population", spec["population"], "--concurrency", str(spec["concurrency"]),
           "--latency-ms", str(LATENCY_MS)]
    if spec["live"]:
        cmd.append("--live")
    if spec.get("cap") is not None:
        cmd += ["--cap", str(spec["cap"])]
    if spec.get("max_rps") is not None:
        cmd += ["--max-rps", str(spec["max_rps"])]
    cmd += ["--harness", spec.get("harness", "process")]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f"bench/run.py: {' '.join(cmd[1:])} failed:\n{out.stderr}")
    result = json.loads(out.stdout)
    result["group"] = spec["group"]
    if spec.get("max_rps") == "default":
        result["max_rps"] = Settings.max_rps  # the product's default, which the run used
        result["rate_bound_s"] = result["calls"] / result["max_rps"]
    return result


def coldstart(quick: bool) -> dict:
    out = subprocess.run([sys.executable, str(HERE / "coldstart.py"), "--json", "--runs", "3" if quick else "21"],
                         capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f"bench/run.py: coldstart failed:\n{out.stderr}")
    return json.loads(out.stdout)


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(int(x.split()[1]) for x in Path("/proc/meminfo").read_text().splitlines()
                   if x.startswith("MemTotal"))
    except (OSError, StopIteration):
        mem = 0
    return {"cpu": cpu or platform.processor() or "unknown", "cores": os.cpu_count(), "memory_gb": mem / 1024 / 1024,
            "os": f"{platform.system()} {platform.release()}", "python": sys.version.split()[0],
            "load": os.getloadavg()}


def commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True,
                           cwd=ROOT).stdout.strip()
    return (out.stdout.strip() or "unknown") + (" (with uncommitted changes)" if dirty else "")


def _read_before(path):
    if path is None:
        return []
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    for row in rows:
        row.setdefault("group", "before")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="only the small sizes (100 and 1,000 buckets)")
    parser.add_argument("--write", type=Path, help="write the page there (e.g. BENCHMARKS.md)")
    parser.add_argument("--note", default="", help="a sentence on the machine's state (e.g. shared with other work)")
    parser.add_argument("--before", type=Path, help="JSON lines of bench/sweep.py --json run on the product "
                        "before a change (same harness): shown in a table of their own")
    parser.add_argument("--before-label", default="", help="what --before measured (e.g. a commit)")
    parser.add_argument("--save", type=Path, help="also keep every figure gathered, as JSON")
    parser.add_argument("--render", type=Path, help="measure nothing: write the page from a --save file")
    parser.add_argument("--only", help="with --into: re-measure only these sets of rows (comma list of "
                        "sweep, sequential, fake_in_process, default_cap, rate, coldstart)")
    parser.add_argument("--into", type=Path, help="a --save file whose rows of the --only sets are replaced")
    parser.add_argument("--production", action="store_true",
                        help="measure only the production profile (bench/production.py: state bucket, robot, "
                        "default rate and cap, fan-out, two sweeps, the 200,000-bucket event) into bench/PRODUCTION.md")
    args = parser.parse_args(argv)
    if args.production:
        _production(args.note)
        return
    if sys.version_info[:2] != (3, 9):
        print("warning: not CPython 3.9, the runtime the function runs on", file=sys.stderr)
    if args.only or args.into:
        if not (args.only and args.into):
            parser.error("--only and --into go together")
        _remeasure(args)
        return
    if args.render:
        data = json.loads(args.render.read_text())
        data["before"], data["before_label"] = _read_before(args.before) or data.get("before", []), (
            args.before_label or data.get("before_label", ""))
        _output(benchpage.render(data), args.write)
        return
    started = time.perf_counter()
    before = machine()
    measured_at = commit()
    results = []
    for spec in plan(args.quick):
        print(f"sweep {spec}", file=sys.stderr, flush=True)
        results.append(sweep(spec))
    print("cold start", file=sys.stderr, flush=True)
    cold = coldstart(args.quick)
    after = machine()
    data = {
        "quick": args.quick, "note": args.note, "machine": before, "load_after": after["load"],
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "commit": measured_at,
        "duration_s": time.perf_counter() - started, "latency_ms": LATENCY_MS, "concurrency": CONCURRENCY,
        "rate_limit": has_rate_limit(), "results": results, "coldstart": cold,
        "before": _read_before(args.before), "before_label": args.before_label,
        "command": "python bench/run.py" + (" --quick" if args.quick else "") + " --save bench/results.json"
                   " --write BENCHMARKS.md",
    }
    if args.save:
        args.save.write_text(json.dumps(data, indent=1), encoding="utf-8")
    _output(benchpage.render(data), args.write)
    print(f"done in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def _remeasure(args) -> None:
    """Replace some sets of rows of a saved run (e.g. once a feature lands), saying so on the page."""
    groups = set(args.only.split(","))
    data = json.loads(args.into.read_text())
    load = machine()["load"]
    fresh = []
    for spec in plan(data["quick"]):
        if spec["group"] in groups:
            print(f"sweep {spec}", file=sys.stderr, flush=True)
            fresh.append(sweep(spec))
    data["results"] = [r for r in data["results"] if r["group"] not in groups] + fresh
    if "coldstart" in groups:
        print("cold start", file=sys.stderr, flush=True)
        data["coldstart"] = coldstart(data["quick"])
    data.setdefault("remeasured", []).append({
        "groups": sorted(groups), "commit": commit(), "load": load,
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")})
    args.into.write_text(json.dumps(data, indent=1), encoding="utf-8")
    _output(benchpage.render(data), args.write)


def _production(note: str) -> None:
    """The production profile, each figure beside its target, on a page of its own."""
    import production

    out = subprocess.run([sys.executable, str(HERE / "production.py"), "--json"], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    result = json.loads(out.stdout)
    info = machine()
    head = (f"# The production profile\n\nMeasured by `python bench/run.py --production` at `{commit()}` on "
            f"{info['cores']} cores (load {info['load'][0]:.1f}), Python {platform.python_version()}"
            f"{'; ' + note if note else ''}. What each row means: bench/production.py's docstring.\n\n```\n")
    (HERE / "PRODUCTION.md").write_text(head + production.page(result) + "\n```\n", encoding="utf-8")
    (HERE / "production.json").write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    print(production.page(result))


def _output(page: str, path) -> None:
    if path:
        path.write_text(page, encoding="utf-8")
    else:
        print(page)


if __name__ == "__main__":
    main()
