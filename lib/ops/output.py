"""What the CLI prints: the report as a table, a progress bar on a terminal, the function's log lines."""

import sys

from ..report import JsonLog
from . import organisation
from .text import printable

# Outcomes that need a person: the CLI exits 1 when any bucket ends in one.
NEEDS_A_PERSON = ("blocked", "refused", "error")


def _reason_text(reason: dict) -> str:
    code = printable(reason.get("code", "?"))
    details = [f"{k}={printable(v)}" for k, v in reason.items() if k != "code" and v not in (None, "", [], {})]
    return code + (" " + " ".join(details) if details else "")


def _account_line(report: dict) -> str:
    account = report.get("account")
    if not account:
        return ""
    if account.get("appid"):
        source = {"settings": "from TENCENTCLOUD_APPID", "cam": "from CAM GetUserAppId"}.get(account.get("source"), "")
        return f"for APPID {account['appid']} ({source})"
    why = _reason_text(account["error"]) if account.get("error") else "not found"
    return f"APPID unknown: buckets of unknown ownership are not unbound ({why})"


def mode_text(report: dict, simulated: bool) -> str:
    # A simulated run never says LIVE: nothing real changes, whatever --apply says.
    if simulated:
        return "simulated, dry run" if report["dry_run"] else "simulated, unbinds applied to the fake cloud"
    return "dry run" if report["dry_run"] else "LIVE"


def table(report: dict, simulated: bool = False) -> str:
    header = f"{report['trigger'] or '-'} run {printable(report['run_id'])} ({mode_text(report, simulated)})"
    account = _account_line(report)
    lines = [header + (f" {account}" if account else ""), ""]
    rows = [("BUCKET", "REGION", "OUTCOME", "REASONS")]
    if not report["results"] and report.get("error"):
        rows = []  # an empty table above the error would read as "no bucket needed anything"
    for r in report["results"]:
        reasons = "; ".join(_reason_text(x) for x in r["reasons"]) or "-"
        rows.append((printable(r["bucket"]), printable(r["region"] or "-"), printable(r["outcome"]), reasons))
    widths = [max([len(row[i]) for row in rows], default=0) for i in range(3)]
    lines += ["  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(row)) for row in rows]
    summary = ", ".join(f"{k}: {v}" for k, v in report["summary"].items())
    if rows:
        lines.append("")
    if summary or not report.get("error"):  # "nothing to do" above an error would read as success
        lines.append(f"summary: {summary or 'nothing to do'}")
    lines.extend(organisation.lines(report))
    if report.get("error"):
        lines.append("error: " + _reason_text(report["error"]))
    for ignored in report.get("ignored", []):
        lines.append("ignored event: " + _reason_text({"code": ignored.get("reason", "?"), **{
            k: v for k, v in ignored.items() if k != "reason"}}))
    return "\n".join(lines)


def exit_code(report: dict) -> int:
    """0: nothing needs a person; 1: some bucket does, or the report is not ok."""
    if not report["ok"] or any(r["outcome"] in NEEDS_A_PERSON for r in report["results"]):
        return 1
    return 0


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


def function_log(show: bool, env) -> JsonLog:
    """The function's log lines: to stderr when asked, else nowhere; secrets scrubbed either way."""
    secrets = [env.get(k, "") for k in ("TENCENTCLOUD_SECRETID", "TENCENTCLOUD_SECRETKEY",
                                        "TENCENTCLOUD_SESSIONTOKEN", "CI_UNBIND_NOTIFY_URL", "CI_UNBIND_NOTIFY_SECRET")]
    return JsonLog(stream=sys.stderr if show else _Discard(), secrets=secrets)
