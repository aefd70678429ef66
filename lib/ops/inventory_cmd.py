"""The `inventory` subcommand: arguments, where the keys come from, and how it is shown."""

import json
import sys
from datetime import datetime, timezone

from ..buckets import InvalidBucket, validate_region
from . import credentials, output
from .errors import CliError, one_line
from .outfile import OutputFile

HELP = "every bucket, its CI status and what would block an unbind now (read-only)"
DESCRIPTION = (
    "List every bucket of the account (COS GET Service) and, with CI_UNBIND_ACCOUNTS, of each listed member "
    "account: its CI status (on, off, unbinding), its request tag (with its date) and protect tag, and for "
    "each bound bucket what would block an unbind now, through the same checks and reasons as a run. It never "
    "writes: no tag, no unbind, no state object. Paced like a run (CI_UNBIND_MAX_RPS).")


def add_arguments(p) -> None:
    p.add_argument("--region", action="append", default=[], help="only buckets in this region (repeatable)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object: buckets and summary")
    out.add_argument("--csv", metavar="FILE", help="write the buckets as CSV to FILE")
    out.add_argument("--html", metavar="FILE", help="write one self-contained HTML page to FILE")
    p.add_argument("--logs", action="store_true", help="also write a JSON log line per bucket, with its calls, to stderr")
    p.add_argument("--simulate", action="store_true", help="use the built-in fake cloud (the demo), not Tencent Cloud")
    p.add_argument("--scenario", help="with --simulate: a scenario file (JSON) instead of the demo one")
    credentials.add_arguments(p)


class Progress:
    """Buckets done, on stderr when it is a terminal; nothing otherwise (it never reaches a file)."""

    def __init__(self, stream=None):
        self._stream = stream or sys.stderr
        self.enabled = self._stream.isatty()
        self._shown = False

    def __call__(self, row, done: int, total: int) -> None:
        if self.enabled:
            self._stream.write(f"\r  inventory: {done}/{total} buckets (last: {row.bucket})\x1b[K")
            self._stream.flush()
            self._shown = True

    def done(self) -> None:
        if self._shown:
            self._stream.write("\n")


def _regions(values) -> list:
    try:
        return [validate_region(v) for v in values]
    except InvalidBucket as err:
        raise CliError(one_line(f"--region: {err}")) from None


def main(args) -> int:
    """0: every check answered; 1: some check or account failed (its rows cannot be trusted)."""
    regions = _regions(args.region)
    # The file first: one that cannot be written is said before the scan, not after it.
    if args.csv:
        out = OutputFile(args.csv, "--csv", "inventory.csv")
    elif args.html:
        out = OutputFile(args.html, "--html", "inventory.html")
    else:
        out = None
    try:
        return _inventory(args, regions, out)
    finally:
        if out is not None:
            out.discard()


def _inventory(args, regions, out) -> int:
    from . import inventory
    from .opsenv import environment, secrets_of  # the SDKs load only once the arguments are known to be good

    with environment(args, "list the buckets and read their CI state") as (settings, env, cloud):
        log = output.function_log(args.logs, env)
        progress = Progress()
        taken = inventory.take(settings, regions, log=log, progress=progress)
        progress.done()
    from ..report import scrub
    from . import inventory_out

    data = taken.as_dict()
    data = scrub(data, secrets_of(env))
    if log is not None:
        log.emit({"msg": "inventory", "summary": data["summary"], "accounts": data["accounts"], "calls": data["calls"]})
    appids = ", ".join(str(a.get("appid")) for a in data["accounts"])
    mode = " (simulated)" if args.simulate else ""
    header = f"inventory of APPID {appids}{mode}: read-only, nothing was changed"
    if args.json:
        print(json.dumps({k: data[k] for k in ("buckets", "summary", "accounts")}, indent=2, ensure_ascii=False))
    elif args.csv:
        out.write(inventory_out.to_csv(data))
        print(f"wrote {args.csv}: {len(data['buckets'])} buckets")
        print("\n".join(inventory_out.summary_lines(data)))
    elif args.html:
        source = "the simulated demo" if args.simulate else f"APPID {appids}"
        out.write(inventory_out.html(data, datetime.now(timezone.utc), source))
        print(f"wrote {args.html}: {len(data['buckets'])} buckets")
        print("\n".join(inventory_out.summary_lines(data)))
    else:
        print(inventory_out.text(data, header))
    summary = data["summary"]
    return 1 if summary["errors"] or summary["account_errors"] else 0


def command(_name: str):
    return HELP, DESCRIPTION, add_arguments, main
