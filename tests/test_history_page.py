"""The history page in headless Chromium: what a person would see, and a screenshot for review.

Chromium is required in CI (.ci/run installs Debian's `chromium` when it is missing): there, without
it these tests fail rather than skip, so a CI run cannot pass without having looked at the page. On
a workstation without Chromium they are skipped with the command that installs it.
"""

import json
import pathlib

from lib.ops.cli import main
from tests.conftest import BASE_ENV, REGION, manual
from tests.state_helpers import STATE_ENV, add_state_bucket, clean_bucket

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / "build" / "screenshots" / "history.png"

CHECK = """(() => {
  const bars = [...document.querySelectorAll('#chart rect.bar')].map(r => {
    const box = r.getBoundingClientRect();
    return {day: r.dataset.day, outcome: r.dataset.outcome, count: +r.dataset.count,
            width: box.width, height: box.height, fill: getComputedStyle(r).fill};
  });
  const people = [...document.querySelectorAll('#people tr.person')].map(tr => ({
    bucket: tr.dataset.bucket, cells: [...tr.cells].map(td => td.innerText.trim()),
    href: tr.querySelector('a').href, visible: tr.getBoundingClientRect().height > 0}));
  const runs = [...document.querySelectorAll('#runs tr.run')].map(tr => tr.dataset.run);
  return {bars, people, runs, title: document.title,
          scripts: document.scripts.length, external: [...document.querySelectorAll('[src],link[href]')].length};
})()"""


def test_the_page_shows_the_runs_and_the_buckets_that_need_a_person(cloud, invoke, monkeypatch, tmp_path, browser,
                                                                     capsys):
    add_state_bucket(cloud)
    clean_bucket(cloud, "clean-1250000000")
    cloud.add_bucket("paused-1250000000", REGION, tags={"ci-unbind": "true"}).add_workflow(
        name="transcode", state="Paused")
    hidden = cloud.add_bucket("review-1250000000", REGION, tags={"ci-unbind": "true"})
    hidden.hidden.add("auto_review")
    buckets = ("clean-1250000000", "paused-1250000000", "review-1250000000")
    dry = invoke(manual(*buckets), env={**STATE_ENV, "CI_UNBIND_DRY_RUN": "true"}, context={"request_id": "run-dry"})
    live = invoke(manual(*buckets), env=STATE_ENV, context={"request_id": "run-live"})
    for key, value in {**BASE_ENV, **STATE_ENV}.items():
        monkeypatch.setenv(key, value)
    page = tmp_path / "history.html"
    assert main(["history", "--html", str(page)]) == 1
    capsys.readouterr()

    view = browser.view(page.as_uri(), CHECK)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    SCREENSHOT.write_bytes(view.screenshot)
    got = view.value

    # The chart is drawn: one visible, coloured bar per outcome of the day, as the runs counted them.
    counts = {}
    for report in (dry, live):
        for outcome, n in report["summary"].items():
            counts[outcome] = counts.get(outcome, 0) + n
    assert {b["outcome"]: b["count"] for b in got["bars"]} == counts
    assert all(b["width"] > 1 and b["height"] > 1 and b["fill"] not in ("none", "") for b in got["bars"])
    # The rows match the data: the blocked and the refused bucket, each with its console link.
    people = {p["bucket"]: p for p in got["people"]}
    assert set(people) == {"paused-1250000000", "review-1250000000"}
    assert people["paused-1250000000"]["cells"][2] == "blocked" and "transcode" in people["paused-1250000000"]["cells"][3]
    refused = [r for r in live["results"] if r["bucket"] == "review-1250000000"][0]["reasons"][0]
    assert people["review-1250000000"]["cells"][2] == "refused"
    assert refused["request_id"] in people["review-1250000000"]["cells"][4]
    for bucket, p in people.items():
        assert p["visible"] and p["href"] == (f"https://console.cloud.tencent.com/ci/bucket?bucket={bucket}"
                                              f"&region={REGION}")
    assert sorted(got["runs"]) == ["run-dry", "run-live"]
    # Self-contained: no script, nothing fetched but the page itself, and nothing went wrong.
    assert got["scripts"] == 0 and got["external"] == 0
    assert view.requests == [page.as_uri()]
    assert view.console == [] and view.exceptions == []
    assert view.screenshot[:8] == b"\x89PNG\r\n\x1a\n" and len(view.screenshot) > 10000


def test_the_harness_sees_console_errors_and_requests(browser, tmp_path):
    # The checks above could not fail if the harness were deaf: a page that errs must be caught.
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><body><img src='https://example.invalid/x.png'>"
                   "<script>console.error('boom'); undefinedFunction();</script></body></html>")
    view = browser.view(bad.as_uri(), "document.title")
    assert ("error", "boom") in view.console
    assert view.exceptions and "https://example.invalid/x.png" in view.requests
    json.dumps(view.console)
