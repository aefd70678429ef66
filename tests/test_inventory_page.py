"""The inventory page in headless Chromium: the rows and the summary a person sees, self-contained."""

import pathlib

import pytest

from lib.ops.cli import main

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / "build" / "screenshots" / "inventory.png"

CHECK = """(() => {
  const rows = [...document.querySelectorAll('#buckets tr.bucket')].map(tr => ({
    bucket: tr.dataset.bucket, status: tr.dataset.status, could: tr.dataset.could,
    cells: [...tr.cells].map(td => td.innerText.trim()), href: tr.querySelector('a').href,
    visible: tr.getBoundingClientRect().height > 0}));
  const cards = Object.fromEntries([...document.querySelectorAll('#summary .card')].map(
    c => [c.dataset.key, +c.querySelector('b').innerText]));
  return {rows, cards, title: document.title, scripts: document.scripts.length,
          external: [...document.querySelectorAll('[src],link[href]')].length};
})()"""


@pytest.mark.slow
def test_the_page_shows_every_bucket_and_a_summary_that_adds_up(opcloud, tmp_path, browser, capsys):
    page = tmp_path / "inventory.html"
    assert main(["inventory", "--html", str(page)]) == 0
    assert f"wrote {page}" in capsys.readouterr().out

    view = browser.view(page.as_uri(), CHECK)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    SCREENSHOT.write_bytes(view.screenshot)
    got = view.value
    rows = {r["bucket"]: r for r in got["rows"]}
    assert set(rows) == {b.name for b in opcloud.buckets}
    assert all(r["visible"] for r in rows.values())
    assert rows["demo-paused-workflow-1250000000"]["status"] == "on"
    assert "transcode-uploads" in rows["demo-paused-workflow-1250000000"]["cells"][6]
    assert rows["demo-clean-1250000000"]["could"] == "true" and rows["demo-not-bound-1250000000"]["status"] == "off"
    assert rows["demo-clean-1250000000"]["href"].startswith("https://console.cloud.tencent.com/ci/bucket?")
    cards = got["cards"]
    assert cards["buckets"] == len(rows) and cards["could be unbound today"] == sum(
        1 for r in rows.values() if r["could"] == "true")
    assert cards["blocked"] == 4 and cards["blocked by workflow"] == 2
    # Self-contained: no script, nothing fetched but the page, nothing went wrong.
    assert got["scripts"] == 0 and got["external"] == 0
    assert view.requests == [page.as_uri()]
    assert view.console == [] and view.exceptions == []
