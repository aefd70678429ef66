"""Live runs ask first. These run the CLI without --simulate, against the fake cloud on the HTTP
layer, as an operator's live run against Tencent Cloud would go."""


import pytest

from lib.ops.cli import main
from tests.campaign_helpers import Stdin
from tests.conftest import APPID, EVENTS, REGION, SECRET_ID, SECRET_KEY, TOKEN

SIX = [f"live{i}-{APPID}" for i in range(6)]


@pytest.fixture
def live(cloud, monkeypatch):
    for name, value in (("TENCENTCLOUD_SECRETID", SECRET_ID), ("TENCENTCLOUD_SECRETKEY", SECRET_KEY),
                        ("TENCENTCLOUD_SESSIONTOKEN", TOKEN), ("TENCENTCLOUD_APPID", APPID)):
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("sys.stdin", Stdin())
    for name in SIX:
        cloud.add_bucket(name, REGION, tags={"ci-unbind": "true"})
    return cloud


def buckets_args(names):
    args = []
    for name in names:
        args += ["--bucket", name]
    return ["invoke", *args, "--region", REGION]


def test_more_than_five_buckets_without_a_terminal_is_refused_and_nothing_is_called(live, capsys):
    assert main([*buckets_args(SIX), "--apply"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "LIVE run on 6 buckets" in err and all(name in err for name in SIX)
    assert "refusing to go ahead with this live run without a terminal" in err and "--yes" in err
    assert live.calls == []


def test_a_sweep_without_a_terminal_is_refused(live, capsys):
    assert main(["invoke", str(EVENTS / "timer.json"), "--apply"]) == 2
    assert "LIVE sweep: every bucket of APPID 1250000000 tagged ci-unbind" in capsys.readouterr().err
    assert live.calls == []


def test_yes_lets_a_script_go_ahead(live, capsys):
    assert main([*buckets_args(SIX), "--apply", "--yes"]) == 0
    out, err = capsys.readouterr()
    assert "--yes given" in err
    assert "(LIVE)" in out.splitlines()[0] and out.count("  unbound  ") == 6
    assert live.count(endpoint="PUT /?unbind") == 6


@pytest.mark.parametrize("answer, code, unbinds", [("yes", 0, 6), ("y", 2, 0), ("", 2, 0)])
def test_on_a_terminal_only_yes_goes_ahead(live, capsys, monkeypatch, answer, code, unbinds):
    monkeypatch.setattr("sys.stdin", Stdin(tty=True))
    asked = []
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or answer)
    assert main([*buckets_args(SIX), "--apply"]) == code
    assert asked == ["Type yes to go ahead with this live run: "]
    assert live.count(endpoint="PUT /?unbind") == unbinds
    if not unbinds:
        assert live.calls == [] and "not confirmed: nothing was done" in capsys.readouterr().err


def test_end_of_input_on_a_terminal_is_no(live, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", Stdin(tty=True))

    def eof(_prompt):
        raise EOFError

    monkeypatch.setattr("builtins.input", eof)
    assert main([*buckets_args(SIX), "--apply"]) == 2
    assert live.calls == []


def test_five_buckets_do_not_ask(live, capsys):
    assert main([*buckets_args(SIX[:5]), "--apply"]) == 0
    assert live.count(endpoint="PUT /?unbind") == 5


def test_a_dry_run_event_says_so_and_stays_dry(live, capsys, tmp_path):
    event = tmp_path / "dry.json"
    event.write_text('{"buckets": [' + ", ".join(
        f'{{"bucket": "{b}", "region": "{REGION}"}}' for b in SIX) + '], "dry_run": true}')
    assert main(["invoke", str(event), "--apply"]) == 0
    out, err = capsys.readouterr()
    assert 'the event asks for a dry run ("dry_run": true), so this run stays dry despite --apply' in err
    assert "(dry run)" in out.splitlines()[0] and "LIVE" not in out
    assert live.count(endpoint="PUT /?unbind") == 0


def test_without_apply_nothing_asks_and_nothing_changes(live, capsys):
    assert main([*buckets_args(SIX)]) == 0
    out = capsys.readouterr().out
    assert "(dry run)" in out and out.count("  would_unbind  ") == 6
    assert live.count(endpoint="PUT /?unbind") == 0


def test_a_run_with_a_bucket_needing_a_person_exits_1(live, capsys):
    live.bucket(SIX[0]).add_workflow(name="keep", state="Active")
    assert main([*buckets_args(SIX[:2]), "--apply"]) == 1
    assert "blocked" in capsys.readouterr().out


def test_a_failed_call_exits_1(live, capsys):
    live.inject("GET /?tagging", status=403, code="AccessDenied", bucket=SIX[0])
    assert main([*buckets_args(SIX[:1])]) == 1
    assert "api_error" in capsys.readouterr().out
