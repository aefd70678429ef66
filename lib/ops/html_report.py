"""`history --html FILE`: one self-contained page (inline CSS and SVG, no script, nothing fetched)."""

from datetime import datetime
from html import escape
from typing import Optional

from ..decide import OUTCOMES
from .history import console_url, mode, needing_a_person, per_day, quiet_note, reason_text

COLOURS = {"unbound": "#2e7d32", "would_unbind": "#81c784", "blocked": "#ef6c00", "refused": "#c62828",
           "not_bound": "#90a4ae", "unbinding": "#4fc3f7", "skipped": "#cfd8dc", "deferred": "#7e57c2",
           "error": "#b71c1c", "rebound": "#00695c"}
# The run's outcomes, and `rebound`: a bucket bound again by the operator's `rebind`.
SHOWN = (*OUTCOMES, "rebound")

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1b1f23;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.meta{color:#57606a;margin:0 0 16px}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #d0d7de;padding:6px 8px;text-align:left;
vertical-align:top}th{background:#f6f8fa;font-weight:600}
.outcome{display:inline-block;padding:0 6px;border-radius:8px;color:#fff;font-size:12px}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:10px;height:10px;
margin-right:4px;border-radius:2px}
code{font-size:12px;background:#f6f8fa;padding:1px 4px;border-radius:4px;white-space:nowrap;display:inline-block}
.empty{color:#57606a;font-style:italic}.quiet{color:#57606a}td.b{white-space:nowrap}details{margin-top:4px;font-size:12px}
"""


def _luminance(colour: str) -> float:
    """WCAG relative luminance of #rrggbb."""
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(int(colour[i:i + 2], 16) / 255) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ink(colour: str) -> str:
    """Dark or white text, whichever reads better on `colour` (white on the light grey of skipped
    was barely legible)."""
    light = _luminance(colour)
    return "#1b1f23" if (light + 0.05) / (_luminance("#1b1f23") + 0.05) > 1.05 / (light + 0.05) else "#ffffff"


def _badge(outcome: str) -> str:
    colour = COLOURS.get(outcome, "#57606a")
    return f'<span class="outcome" style="background:{colour};color:{ink(colour)}">{escape(outcome)}</span>'


def _nice(n: int) -> int:
    """The top of the y axis: 4 steps of 1, 2, 5, 10, 20, 50 ... that reach n, so labels are whole."""
    step = 1
    while 4 * step < n:
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2
    return 4 * step


def chart(days: dict[str, dict[str, int]], width: int = 760, height: int = 260) -> str:
    """Outcomes per day as stacked bars, in inline SVG."""
    if not days:
        return '<p class="empty" id="chart-empty">No runs in this window.</p>'
    left, bottom, top = 44, 40, 12
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = _nice(max(sum(c.values()) for c in days.values()))
    slot = plot_w / len(days)
    bar_w = max(min(slot * 0.6, 48), 4)
    parts = [f'<svg id="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="Outcomes per day">']
    for i in range(5):  # grid and y labels
        value = peak * i / 4
        y = top + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eaeef2"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#57606a">'
                     f'{value:.0f}</text>')
    for i, (day, counts) in enumerate(days.items()):
        x = left + slot * i + (slot - bar_w) / 2
        y = top + plot_h
        for outcome in SHOWN:
            n = counts.get(outcome, 0)
            if not n:
                continue
            h = plot_h * n / peak
            y -= h
            parts.append(f'<rect class="bar" data-day="{day}" data-outcome="{outcome}" data-count="{n}" '
                         f'x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                         f'fill="{COLOURS[outcome]}"><title>{day}: {n} {outcome}</title></rect>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - bottom + 16}" font-size="11" '
                     f'text-anchor="middle" fill="#57606a">{day[5:]}</text>')
    parts.append("</svg>")
    used = [o for o in SHOWN if any(o in c for c in days.values())]
    legend = "".join(f'<span><i style="background:{COLOURS[o]}"></i>{o}</span>' for o in used)
    return "".join(parts) + f'<div class="legend">{legend}</div>'


def _ids(b: dict) -> str:
    """The request ids that explain the outcome (those in its reasons) first; every call's on demand."""
    decisive = [r["request_id"] for r in b.get("reasons", []) if isinstance(r.get("request_id"), str) and r["request_id"]]
    every = b.get("request_ids", [])
    shown = " ".join(f"<code>{escape(i)}</code>" for i in decisive) or "-"
    if every:
        calls = "the 1 call" if len(every) == 1 else f"all {len(every)} calls"
        shown += (f"<details><summary>{calls}</summary>"
                  + " ".join(f"<code>{escape(i)}</code>" for i in every) + "</details>")
    return shown


def _people_rows(latest: list[dict]) -> str:
    rows = []
    for b in needing_a_person(latest):
        reasons = "<br>".join(escape(reason_text(r)) for r in b.get("reasons", [])) or "-"
        ids = _ids(b)
        url = escape(console_url(b["bucket"], b["region"]), quote=True)
        rows.append(f'<tr class="person" data-bucket="{escape(b["bucket"], quote=True)}">'
                    f'<td class="b"><a href="{url}" rel="noopener noreferrer">{escape(b["bucket"])}</a></td>'
                    f'<td class="b">{escape(b["region"] or "-")}</td><td>{_badge(b["outcome"])}</td><td>{reasons}</td>'
                    f'<td>{ids}</td><td class="b">{escape(str(b.get("at") or "-")[:19])}<br>'
                    f'<code>{escape(str(b.get("run_id") or "-"))}</code></td></tr>')
    if not rows:
        return '<tr><td colspan="6" class="empty">Nothing needs a person.</td></tr>'
    return "".join(rows)


def _run_rows(runs: list[dict]) -> str:
    rows = []
    for r in runs:
        summary = " ".join(f"{_badge(k)}&nbsp;{int(v)}" for k, v in (r.get("summary") or {}).items())
        quiet = quiet_note(r)
        if quiet:
            summary += f' <span class="quiet">{escape(quiet)}</span>'
        error = r.get("error")
        if error:
            summary += f' <span class="outcome" style="background:#b71c1c">{escape(str(error.get("code")))}</span>'
        summary = summary.strip() or "nothing to do"
        rows.append(f'<tr class="run" data-run="{escape(str(r.get("run_id")), quote=True)}">'
                    f'<td class="b">{escape(str(r.get("recorded_at") or "-")[:19])}</td><td>{escape(str(r.get("trigger") or "-"))}</td>'
                    f'<td class="b">{mode(r)}</td><td>{"yes" if r.get("ok") else "no"}</td>'
                    f'<td><code>{escape(str(r.get("run_id")))}</code></td><td>{summary}</td></tr>')
    if not rows:
        return '<tr><td colspan="6" class="empty">No runs.</td></tr>'
    return "".join(rows)


def _bucket_section(bucket: str, latest: list[dict]) -> str:
    """The bucket `history --bucket` asked about, whatever its outcome."""
    rows = "".join(f'<tr class="latest"><td class="b">{escape(b["region"] or "-")}</td><td>{_badge(b["outcome"])}</td>'
                   f'<td>{"<br>".join(escape(reason_text(r)) for r in b.get("reasons", [])) or "-"}</td>'
                   f'<td class="b">{escape(str(b.get("at") or "-")[:19])}<br><code>{escape(str(b.get("run_id") or "-"))}'
                   f"</code></td></tr>" for b in latest)
    rows = rows or '<tr><td colspan="4" class="empty">No recorded run looked at it.</td></tr>'
    return (f"<h2>Latest outcome of {escape(bucket)}</h2>"
            '<table id="bucket"><thead><tr><th>Region</th><th>Outcome</th><th>Reasons</th><th>Last seen</th></tr>'
            f"</thead><tbody>{rows}</tbody></table>")


def render(runs: list[dict], latest: list[dict], generated: datetime, source: str, bucket: Optional[str] = None) -> str:
    people = needing_a_person(latest)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<title>cos-ci-unbinder history</title>"
        f"<style>{_CSS}</style></head><body>"
        "<h1>cos-ci-unbinder history</h1>"
        f'<p class="meta">{len(runs)} runs, {len(people)} buckets need a person. From {escape(source)}; '
        f'made {escape(generated.strftime("%Y-%m-%d %H:%M UTC"))}.</p>'
        + (_bucket_section(bucket, latest) if bucket else "") +
        "<h2>Outcomes per day</h2>" + chart(per_day(runs)) +
        f'<h2>Buckets that need a person ({len(people)})</h2>'
        '<table id="people"><thead><tr><th>Bucket (CI console)</th><th>Region</th><th>Outcome</th>'
        "<th>Blockers and reasons</th><th>Request ids</th><th>Last seen</th></tr></thead>"
        f"<tbody>{_people_rows(latest)}</tbody></table>"
        f"<h2>Runs ({len(runs)})</h2>"
        '<table id="runs"><thead><tr><th>When (UTC)</th><th>Trigger</th><th>Mode</th><th>OK</th><th>Run id</th>'
        f"<th>Summary</th></tr></thead><tbody>{_run_rows(runs)}</tbody></table>"
        "</body></html>\n"
    )
