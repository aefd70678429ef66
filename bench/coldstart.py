"""Cold start from the built zip, as SCF runs it: a fresh CPython 3.9 imports `handler` from the
unpacked package, writing no bytecode (SCF sets PYTHONDONTWRITEBYTECODE).

    python bench/coldstart.py [--runs 15] [--zip build/cos-ci-unbinder.zip] [--json]

Without --zip it builds the package first (deploy/package, into a temporary directory). The same
package is also measured with its .pyc removed (what deploy/package shipped before it compiled
them), and both against the floor: importing `qcloud_cos` and the Tag SDK from the same package
the same way. The handler loads the Tag SDK only when the timer first needs it (discovery), so
`import handler` followed by that import is measured too (with the .pyc): what the first sweep of
a container pays in all. Runs are interleaved so that a busy machine weighs on each alike; medians
are given.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUBJECTS = {
    "handler": "import handler",
    "sdks": "import qcloud_cos\nfrom tencentcloud.tag.v20180813 import models, tag_client",
}
# Measured from the package with its .pyc only.
TIMER_FIRST = ("handler_tag", "import handler\nfrom tencentcloud.tag.v20180813 import models, tag_client")
PROBE = ("import sys, time\nsys.path.insert(0, sys.argv[1])\nt = time.perf_counter()\n{code}\n"
         "print(time.perf_counter() - t)")


def python39() -> str:
    if sys.version_info[:2] != (3, 9):
        sys.exit("bench/coldstart.py: run it with CPython 3.9, the runtime the package is built for")
    return sys.executable


def build(tmp: Path) -> tuple[Path, float]:
    started = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "deploy" / "package"), "--build-dir", str(tmp / "build")],
                   check=True, stdout=subprocess.DEVNULL)
    return tmp / "build" / "cos-ci-unbinder.zip", time.perf_counter() - started


def probe(python: str, directory: Path, code: str) -> float:
    # -I: no user site, no PYTHON* variables; -S: no site-packages (only the package and the
    # standard library); -B: no bytecode written, as PYTHONDONTWRITEBYTECODE does on SCF.
    out = subprocess.run([python, "-I", "-S", "-B", "-c", PROBE.format(code=code), str(directory)],
                         cwd=directory, capture_output=True, text=True, check=True,
                         env={"LANG": "C.UTF-8", "PATH": os.environ.get("PATH", "")}).stdout
    return float(out.strip()) * 1000


def measure(zip_path: Path, runs: int, tmp: Path) -> dict:
    python = python39()
    with_pyc, without_pyc = tmp / "with-pyc", tmp / "without-pyc"
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(with_pyc)
        compiled = sum(1 for n in zf.namelist() if n.endswith(".pyc"))
    shutil.copytree(with_pyc, without_pyc)
    for cache in sorted(without_pyc.rglob("__pycache__")):
        shutil.rmtree(cache)
    times = {(s, p): [] for s in SUBJECTS for p in ("pyc", "no_pyc")}
    times[(TIMER_FIRST[0], "pyc")] = []
    for _ in range(runs):
        for subject, code in SUBJECTS.items():
            times[(subject, "pyc")].append(probe(python, with_pyc, code))
            times[(subject, "no_pyc")].append(probe(python, without_pyc, code))
        times[(TIMER_FIRST[0], "pyc")].append(probe(python, with_pyc, TIMER_FIRST[1]))
    out = {"runs": runs, "python": sys.version.split()[0], "pyc_in_zip": compiled,
           "zip_mb": zip_path.stat().st_size / 1024 / 1024}
    for (subject, pyc), values in times.items():
        out[f"{subject}_{pyc}_ms"] = {"median": statistics.median(values), "min": min(values), "max": max(values)}
    out["ratio_pyc"] = out["handler_pyc_ms"]["median"] / out["sdks_pyc_ms"]["median"]
    out["ratio_no_pyc"] = out["handler_no_pyc_ms"]["median"] / out["sdks_pyc_ms"]["median"]
    out["ratio_tag_pyc"] = out["handler_tag_pyc_ms"]["median"] / out["sdks_pyc_ms"]["median"]
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--zip", type=Path, help="a built package (default: build one now)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="coldstart-") as tmp:
        tmp = Path(tmp)
        build_s = None
        zip_path = args.zip
        if zip_path is None:
            zip_path, build_s = build(tmp)
        result = measure(zip_path, args.runs, tmp)
        result["build_s"] = build_s
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
