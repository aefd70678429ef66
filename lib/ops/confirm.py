"""Live runs ask first: a whole-account sweep, or more than a few buckets, needs a typed `yes`."""

import sys
from typing import Callable, Optional

from .errors import CliError

# More buckets than this in one live run, and the operator is asked (a sweep always asks).
ASK_ABOVE = 5
SHOWN = 50  # buckets listed before "and N more"


def needs_asking(trigger) -> bool:
    return trigger.kind == "timer" or len(set(trigger.buckets)) > ASK_ABOVE


def plan(trigger, settings) -> list[str]:
    """What the run is about to act on, in words."""
    regions = ", ".join(sorted(settings.regions)) or "every region"
    who = f"APPID {settings.appid}" if settings.appid else "the account of these keys"
    if trigger.kind == "timer":
        return [f"LIVE sweep: every bucket of {who} tagged {settings.tag_key} ({regions}) that nothing blocks "
                f"will be unbound, at most {settings.max_per_run} in this run."]
    refs = list(dict.fromkeys(trigger.buckets))
    lines = [f"LIVE run on {len(refs)} buckets: each that is tagged {settings.tag_key} and that nothing "
             f"blocks will be unbound, at most {settings.max_per_run} in this run:"]
    lines += [f"  {ref.bucket} ({ref.region})" for ref in refs[:SHOWN]]
    if len(refs) > SHOWN:
        lines.append(f"  ... and {len(refs) - SHOWN} more")
    return lines


def confirm(trigger, settings, assume_yes: bool, *, stdin=None, stderr=None,
            ask: Optional[Callable[[str], str]] = None) -> None:
    """Return when the run may go ahead; raise CliError when it may not."""
    if not needs_asking(trigger):
        return
    stdin, stderr = stdin or sys.stdin, stderr or sys.stderr
    for line in plan(trigger, settings):
        print(line, file=stderr)
    if assume_yes:
        print("--yes given: going ahead", file=stderr)
    ask_yes(assume_yes, "go ahead with this live run", stdin=stdin, ask=ask)


def ask_yes(assume_yes: bool, what: str, *, stdin=None, ask: Optional[Callable[[str], str]] = None) -> None:
    """A typed `yes` on a terminal, or --yes; else CliError and nothing is done."""
    if assume_yes:
        return
    if not (stdin or sys.stdin).isatty():
        raise CliError(f"refusing to {what} without a terminal to confirm on: pass --yes from a script")
    try:
        answer = (ask or input)(f"Type yes to {what}: ")
    except EOFError:
        answer = ""
    if answer.strip() != "yes":
        raise CliError("not confirmed: nothing was done")
