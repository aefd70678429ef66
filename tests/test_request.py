"""`request` and `withdraw`: the request tag alone changes; conflicts and refusals are reported."""


import pytest

from lib.ops.cli import main
from tests.campaign_helpers import run_json, writes
from tests.conftest import REGION

CLEAN = "demo-clean-1250000000"


def test_a_request_keeps_every_other_tag_and_reads_back(opcloud, capsys):
    untagged = "demo-untagged-1250000000"
    code, data, _ = run_json(capsys, "request", "--bucket", untagged, "--region", REGION, "--not-before", "2027-01-15")
    assert code == 0
    (row,) = data["buckets"]
    assert row["outcome"] == "requested"
    assert row["tags_before"] == {"team": "data"}
    assert row["tags_after"] == {"team": "data", "ci-unbind": "2027-01-15"} == opcloud.bucket(untagged).tags
    assert [c.endpoint for c in opcloud.calls] == ["GET /?tagging", "PUT /?tagging", "GET /?tagging"]
    assert row["reasons"][0]["request_id"] == opcloud.calls[1].request_id


def test_another_writer_in_between_is_a_conflict(opcloud, capsys):
    untagged = "demo-untagged-1250000000"
    opcloud.after("PUT /?tagging", lambda c: c.bucket(untagged).tags.update(owner="someone-else"), bucket=untagged)
    code, data, _ = run_json(capsys, "request", "--bucket", untagged, "--region", REGION)
    (row,) = data["buckets"]
    assert code == 1 and row["outcome"] == "conflict"
    assert row["tags_after"] == {"ci-unbind": "true", "team": "data", "owner": "someone-else"}
    assert row["reasons"][-1]["expected"] == {"team": "data", "ci-unbind": "true"}


def test_protected_and_full_buckets_are_refused_one_line_each_and_not_written(opcloud, capsys):
    full = opcloud.add_bucket("full-1250000000", REGION, tags={f"k{i}": "v" for i in range(50)})
    code = main(["request", "--bucket", "demo-protected-1250000000", "--bucket", full.name, "--bucket", CLEAN,
                 "--region", REGION])
    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert [line.split()[2] for line in lines[:3]] == ["refused", "refused", "unchanged"]
    assert "protected tag_key=ci-unbind-protect" in lines[0] and "tag_limit tags=50 limit=50" in lines[1]
    assert writes(opcloud) == [] and len(full.tags) == 50


def test_withdraw_removes_the_request_tag_alone_and_deletes_an_empty_set(opcloud, capsys):
    lone = opcloud.add_bucket("lone-1250000000", REGION, tags={"ci-unbind": "true"})
    code, data, _ = run_json(capsys, "withdraw", "--bucket", CLEAN, "--bucket", lone.name, "--region", REGION)
    assert code == 0 and [r["outcome"] for r in data["buckets"]] == ["withdrawn", "withdrawn"]
    assert opcloud.bucket(CLEAN).tags == {"team": "web"} and lone.tags == {}
    assert [w.split()[0] for w in writes(opcloud)] == ["PUT", "DELETE"]
    code, data, _ = run_json(capsys, "withdraw", "--bucket", CLEAN, "--region", REGION)
    assert code == 0 and data["buckets"][0]["outcome"] == "unchanged"


@pytest.mark.parametrize("argv, says", [
    (["request", "--bucket", CLEAN, "--region", REGION, "--not-before", "15/01/2027"], "YYYY-MM-DD"),
    (["request", "--bucket", CLEAN, "--region", REGION, "--not-before", "2027-02-30"], "not a date"),
    (["request", "--bucket", "theirs-1250009999", "--region", REGION], "belongs to APPID 1250009999"),
    (["withdraw", "--bucket", "Bad_Name-1250000000", "--region", REGION], "invalid bucket name"),
    (["request", "--bucket", CLEAN, "--region", "ap-guangzhou.evil"], "invalid region"),
    (["request"], "name the buckets"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_sent(opcloud, capsys, argv, says):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and says in err
    assert opcloud.calls == []


def test_many_buckets_ask_first_and_yes_goes_ahead(opcloud, capsys):
    names = [b.name for b in opcloud.buckets if b.region == REGION and "ci-unbind" in b.tags][:6]
    argv = ["withdraw", *[x for n in names for x in ("--bucket", n)], "--region", REGION]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "LIVE withdraw on 6 buckets" in err and "refusing to withdraw on these buckets without a terminal" in err
    assert opcloud.calls == []
    assert main([*argv, "--yes"]) == 0
    assert len(writes(opcloud)) == 6 and not any("ci-unbind" in opcloud.bucket(n).tags for n in names)


def test_from_inventory_takes_the_buckets_that_could_be_unbound(opcloud, capsys, tmp_path):
    assert main(["inventory", "--json"]) == 0
    saved = tmp_path / "inventory.json"
    saved.write_text(capsys.readouterr().out)
    opcloud.clear_calls()
    code, data, _ = run_json(capsys, "request", "--from-inventory", str(saved), "--yes")
    outcomes = {r["bucket"]: r["outcome"] for r in data["buckets"]}
    assert outcomes == {CLEAN: "unchanged", "demo-finished-jobs-1250000000": "unchanged",
                        "demo-hidden-review-1250000000": "unchanged", "demo-not-yet-1250000000": "refused",
                        "demo-untagged-1250000000": "requested"}
    assert code == 1
    assert opcloud.bucket("demo-untagged-1250000000").tags == {"team": "data", "ci-unbind": "true"}
    # An owner's own request (a date; TRUE in capitals) is theirs: a bulk request never rewrites it.
    assert opcloud.bucket("demo-not-yet-1250000000").tags == {"ci-unbind": "2099-01-01"}
    assert opcloud.bucket("demo-finished-jobs-1250000000").tags == {"ci-unbind": "TRUE"}
