"""The inventory as text, CSV and one self-contained HTML page (inline CSS, no script, nothing
fetched: the history page's rules, lib/ops/html_report.py)."""

import csv
import io
from datetime import datetime
from html import escape

from .history import console_url, reason_text

CSV_COLUMNS = ("bucket", "region", "account", "ci_status", "requested", "not_before", "protected", "could_unbind",
               "blockers", "errors", "why_not", "run_outcome")


def _requested_text(req) -> str:
    if not req:
        return "-"
    if not req.get("valid"):
        return f"invalid ({req['value']})"
    return f"from {req['not_before'][:10]}" if req.get("not_before") else "yes"


def _blockers_text(row: dict) -> str:
    parts = [reason_text(b) for b in row["blockers"]] + [reason_text(e) for e in row["errors"]]
    parts += [reason_text(w) for w in row.get("why_not", [])]
    return "; ".join(parts) or "-"


def _short(account: str) -> str:
    return account if account == "self" else account.split(":")[4].split("/")[1]


def summary_lines(data: dict) -> list[str]:
    s = data["summary"]
    kinds = ", ".join(f"{k} {v}" for k, v in s["blocked_by"].items() if v) or "none"
    statuses = ", ".join(f"{k} {v}" for k, v in s["ci_status"].items()) or "none"
    lines = [f"summary: {s['buckets']} buckets ({statuses}); bound: {s['bound']}; could be unbound today: "
             f"{s['could_unbind']}; blocked: {s['blocked']} (by kind: {kinds}); requested: {s['requested']}; "
             f"protected: {s['protected']}; checks that failed: {s['errors']}"]
    for a in data["accounts"]:
        if a.get("error"):
            lines.append(f"account {_short(a['account'])}: NOT listed: {reason_text(a['error'])}")
    return lines


def text(data: dict, header: str) -> str:
    several = len(data["accounts"]) > 1
    head = ("BUCKET", "REGION") + (("ACCOUNT",) if several else ()) + ("CI", "REQUESTED", "PROTECTED",
                                                                        "COULD_UNBIND", "BLOCKERS (OR WHY NOT)")
    rows = [head]
    for r in data["buckets"]:
        cells = (r["bucket"], r["region"] or "-") + ((_short(r["account"]),) if several else ())
        rows.append(cells + (r["ci_status"] or "?", _requested_text(r["requested"]), "yes" if r["protected"] else "-",
                             "yes" if r["could_unbind"] else "-", _blockers_text(r)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head) - 1)]
    lines = [header, ""]
    lines += ["  ".join(c.ljust(widths[i]) if i < len(widths) else c for i, c in enumerate(row)).rstrip()
              for row in rows]
    return "\n".join(lines + [""] + summary_lines(data))


def to_csv(data: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in data["buckets"]:
        req = r["requested"] or {}
        writer.writerow([r["bucket"], r["region"] or "", r.get("account", "self"), r["ci_status"] or "",
                         req.get("value", ""), req.get("not_before") or "", str(r["protected"]).lower(),
                         str(r["could_unbind"]).lower(), "; ".join(reason_text(b) for b in r["blockers"]),
                         "; ".join(reason_text(e) for e in r["errors"]),
                         "; ".join(reason_text(w) for w in r.get("why_not", [])), (r["run"] or {}).get("outcome", "")])
    return out.getvalue()


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1b1f23;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}.meta{color:#57606a;margin:0 0 16px}
.cards{display:flex;flex-wrap:wrap;gap:12px}.card{border:1px solid #d0d7de;border-radius:8px;padding:8px 14px;
min-width:120px}.card b{display:block;font-size:22px}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #d0d7de;padding:6px 8px;text-align:left;
vertical-align:top}th{background:#f6f8fa;font-weight:600}td.b{white-space:nowrap}
.tag{display:inline-block;padding:0 6px;border-radius:8px;color:#fff;font-size:12px}
.on{background:#2e7d32}.off{background:#90a4ae}.unbinding{background:#4fc3f7}.unknown{background:#b71c1c}
.yes{background:#1565c0}.blocked{background:#ef6c00}.err{background:#b71c1c}
code{font-size:12px;background:#f6f8fa;padding:1px 4px;border-radius:4px;word-break:break-all}
"""


def _tag(text_: str, cls: str) -> str:
    return f'<span class="tag {cls}">{escape(text_)}</span>'


def _row_html(r: dict, several: bool) -> str:
    status = r["ci_status"] or "unknown"
    cls = status if status in ("on", "off", "unbinding") else "unknown"
    blockers = "<br>".join(_tag(b["code"], "blocked") + " " + escape(reason_text(b)) for b in r["blockers"])
    errors = "<br>".join(_tag("check failed", "err") + " " + escape(reason_text(e)) for e in r["errors"])
    errors += "".join("<br>" * bool(errors or i) + escape(reason_text(w)) for i, w in enumerate(r.get("why_not", [])))
    url = escape(console_url(r["bucket"], r["region"] or ""), quote=True)
    account = f'<td class="b">{escape(_short(r["account"]))}</td>' if several else ""
    return (f'<tr class="bucket" data-bucket="{escape(r["bucket"], quote=True)}" data-status="{escape(status)}" '
            f'data-could="{str(r["could_unbind"]).lower()}">'
            f'<td class="b"><a href="{url}" rel="noopener noreferrer">{escape(r["bucket"])}</a></td>'
            f'<td class="b">{escape(r["region"] or "-")}</td>{account}<td>{_tag(status, cls)}</td>'
            f'<td>{escape(_requested_text(r["requested"]))}</td><td>{"yes" if r["protected"] else "-"}</td>'
            f'<td>{_tag("yes", "yes") if r["could_unbind"] else "-"}</td>'
            f'<td>{"<br>".join(x for x in (blockers, errors) if x) or "-"}</td></tr>')


def html(data: dict, generated: datetime, source: str) -> str:
    s = data["summary"]
    several = len(data["accounts"]) > 1
    cards = [("buckets", s["buckets"]), ("bound", s["bound"]), ("could be unbound today", s["could_unbind"]),
             ("blocked", s["blocked"])] + [(f"blocked by {k}", v) for k, v in s["blocked_by"].items()]
    cards_html = "".join(f'<div class="card" data-key="{escape(k, quote=True)}"><b>{int(v)}</b>{escape(k)}</div>'
                         for k, v in cards)
    head = "<th>Bucket (CI console)</th><th>Region</th>" + ("<th>Account</th>" if several else "")
    rows = "".join(_row_html(r, several) for r in data["buckets"]) or (
        '<tr><td colspan="8">No buckets.</td></tr>')
    problems = "".join(f"<li>{escape(line)}</li>" for line in summary_lines(data)[1:])
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>cos-ci-unbinder inventory</title><style>{_CSS}</style></head><body>"
        "<h1>cos-ci-unbinder inventory</h1>"
        f'<p class="meta">{s["buckets"]} buckets. From {escape(source)}; made '
        f'{escape(generated.strftime("%Y-%m-%d %H:%M UTC"))}. Read-only: nothing was changed.</p>'
        f'<div class="cards" id="summary">{cards_html}</div>'
        + (f'<ul id="problems">{problems}</ul>' if problems else "") +
        f'<h2>Buckets ({s["buckets"]})</h2><table id="buckets"><thead><tr>{head}<th>CI</th><th>Requested</th>'
        f"<th>Protected</th><th>Could unbind today</th><th>Blockers (or why not)</th></tr></thead><tbody>{rows}</tbody></table>"
        "</body></html>\n"
    )
