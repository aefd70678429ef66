"""Cold start: how long a fresh interpreter takes to import the handler (settings included).

    python bench/coldstart.py [--runs 7]

Each run is a new process, as an SCF cold start is; the import of `handler` loads the SDKs and
validates the settings. Prints the median and the spread; bench/RESULTS.md keeps the numbers.
"""

import argparse
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROBE = ("import time; t = time.perf_counter(); import handler; "
         "print(time.perf_counter() - t)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CI_UNBIND_")}
    times = []
    for _ in range(args.runs):
        out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True,
                             text=True, check=True).stdout
        times.append(float(out.strip()) * 1000)
    print(f"python {sys.version.split()[0]}, {args.runs} fresh processes")
    print(f"import handler: median {statistics.median(times):.0f} ms, "
          f"min {min(times):.0f} ms, max {max(times):.0f} ms")


if __name__ == "__main__":
    main()
