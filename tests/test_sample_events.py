"""`generate-event` prints events the function reads as naming the given bucket."""

import json

import pytest

from lib.buckets import BucketRef
from lib.ops.cli import main
from lib.triggers import parse

BUCKET, REGION = "photos-1250000000", "ap-chengdu"


@pytest.mark.parametrize("kind, trigger", [("manual", "manual"), ("cos-tagging", "event"), ("tag-api", "event")])
def test_each_event_names_the_bucket(capsys, kind, trigger):
    assert main(["generate-event", kind, "--bucket", BUCKET, "--region", REGION]) == 0
    event = json.loads(capsys.readouterr().out)
    parsed = parse(event)
    assert parsed.kind == trigger and parsed.buckets == (BucketRef(REGION, BUCKET),)
    assert parsed.ignored == ()


def test_timer_is_a_sweep(capsys):
    assert main(["generate-event", "timer"]) == 0
    parsed = parse(json.loads(capsys.readouterr().out))
    assert parsed.kind == "timer" and parsed.buckets == ()


def test_manual_dry_run(capsys):
    assert main(["generate-event", "manual", "--bucket", BUCKET, "--region", REGION, "--dry-run"]) == 0
    assert parse(json.loads(capsys.readouterr().out)).dry_run is True


def test_a_generated_event_runs(capsys, tmp_path):
    assert main(["generate-event", "cos-tagging", "--bucket", "demo-clean-1250000000"]) == 0
    event = tmp_path / "e.json"
    event.write_text(capsys.readouterr().out)
    assert main(["invoke", str(event), "--simulate"]) == 0
    assert "demo-clean-1250000000  ap-guangzhou  would_unbind" in capsys.readouterr().out
