"""`python3 -m lib`: the operator's command, or one line saying how to install what it needs."""

import importlib.util
import sys

# What the command imports on its paths (the SDKs, the fake cloud's HTTP mock, YAML for validate):
# found missing here, it is one line before any work rather than a traceback in the middle of it.
NEEDED = ("requests", "qcloud_cos", "tencentcloud", "tenacity", "responses", "yaml")
INSTALL = "python3 -m venv .venv && .venv/bin/pip install -r requirements-dev.txt -e ."


def missing() -> list:
    return [name for name in NEEDED if importlib.util.find_spec(name) is None]


def main() -> None:
    absent = missing()
    if absent:
        sys.stderr.write(f"cos-ci-unbinder: {', '.join(absent)} not installed for this Python ({sys.executable}); "
                         f"install the dependencies: {INSTALL} (then run .venv/bin/cos-ci-unbinder)\n")
        sys.exit(2)
    from .ops.cli import run

    run()


if __name__ == "__main__":
    main()
