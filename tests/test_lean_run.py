"""What keeps a large sweep lean: no reads for buckets the cap leaves out, service lists fetched
together beside each bucket's own checks, a report that stays small, proxy settings read once."""

import json
import socket
import subprocess
import sys
import threading

import pytest

from lib.cloud.http import EnvProxies, session_from_environment
from tests.conftest import BASE_ENV, REGION, ROOT, codes, manual, outcome_of

TIMER = {"Type": "Timer", "TriggerName": "t", "Time": "2026-11-28T00:00:00Z"}
LISTS = ("GET /mediabucket", "GET /picbucket", "GET /docbucket", "GET /asrbucket", "GET /file_bucket",
         "GET /ai_bucket")


def test_a_full_cap_with_nothing_pending_defers_the_rest_without_a_call(cloud, invoke):
    for i in range(30):
        cloud.add_bucket(f"c{i:02d}-1250000000", REGION, tags={"ci-unbind": "true"})
    report = invoke(TIMER, env={"CI_UNBIND_MAX_PER_RUN": "2", "CI_UNBIND_CONCURRENCY": "1",
                                "CI_UNBIND_DRY_RUN": "true"})
    assert report["summary"] == {"would_unbind": 2, "deferred": 28}
    deferred = [r["bucket"] for r in report["results"] if r["outcome"] == "deferred"]
    assert all(codes(outcome_of(report, b)) == ["max_per_run"] and invoke.calls(b) == [] for b in deferred)
    # Two buckets read their tags; the 28 others made no call at all.
    assert cloud.count(endpoint="GET /?tagging") == 2 and cloud.count(endpoint="GET /") == 2


def test_a_refusal_keeps_the_cap_open_for_the_next_bucket(cloud, invoke):
    cloud.add_bucket("a-review-1250000000", REGION, tags={"ci-unbind": "true"}).hidden.add("auto_review")
    cloud.add_bucket("b-clean-1250000000", REGION, tags={"ci-unbind": "true"})
    report = invoke(TIMER, env={"CI_UNBIND_MAX_PER_RUN": "1", "CI_UNBIND_CONCURRENCY": "1"})
    assert report["summary"] == {"refused": 1, "unbound": 1}


def test_service_lists_travel_together_and_beside_the_buckets_own_checks(cloud, invoke):
    cloud.add_bucket("one-1250000000", REGION, tags={"ci-unbind": "true"})
    # Each of these calls waits at a barrier of seven: it opens only if the six lists and the
    # bucket's own workflow read are all in flight at once. Fetched one after another, the first
    # caller would wait alone and break it (BrokenBarrierError), and the bucket would end in error.
    barrier = threading.Barrier(len(LISTS) + 1, timeout=10)
    cloud.sleep = lambda _s: barrier.wait()
    for endpoint in (*LISTS, "GET /workflow"):
        cloud.inject(endpoint, latency=0.001, times=1)
    report = invoke(manual("one-1250000000"), env={"CI_UNBIND_DRY_RUN": "true", "CI_UNBIND_CONCURRENCY": "1"})
    assert outcome_of(report, "one-1250000000")["outcome"] == "would_unbind"
    assert not barrier.broken
    assert all(cloud.count(endpoint=e) == 1 for e in LISTS)


def test_the_report_keeps_calls_only_where_a_person_chases_them(cloud, invoke):
    cloud.add_bucket("clean-1250000000", REGION, tags={"ci-unbind": "true"})
    cloud.add_bucket("busy-1250000000", REGION, tags={"ci-unbind": "true"}).add_workflow(state="Active")
    cloud.add_bucket("review-1250000000", REGION, tags={"ci-unbind": "true"}).hidden.add("auto_review")
    cloud.add_bucket("denied-1250000000", REGION, tags={"ci-unbind": "true"})
    cloud.add_bucket("untagged-1250000000", REGION, tags={"other": "x"})
    cloud.inject("GET /workflow", code="AccessDenied", bucket="denied-1250000000", times=None)
    report = invoke(TIMER)
    outcomes = {r["bucket"]: r["outcome"] for r in report["results"]}
    assert outcomes == {"busy-1250000000": "blocked", "clean-1250000000": "unbound",
                        "denied-1250000000": "error", "review-1250000000": "refused"}
    with_calls = {r["bucket"] for r in report["results"] if "calls" in r}
    assert with_calls == {"denied-1250000000", "review-1250000000"}
    for r in report["results"]:
        logged = invoke.calls(r["bucket"])
        assert logged and all(c["request_id"] for c in logged)  # the log line keeps every call
        if "calls" in r:
            assert r["calls"] == logged
    # The run's line still counts every call, each shared list once.
    (run_line,) = [x for x in invoke.lines if x["msg"] == "run"]
    assert run_line["calls"] == len(cloud.calls)


def test_proxies_are_read_once_and_no_proxy_is_honoured(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", ".cos.ap-guangzhou.myqcloud.com")
    proxies = EnvProxies.from_environment()
    session = session_from_environment(4)
    monkeypatch.delenv("HTTPS_PROXY")
    monkeypatch.delenv("NO_PROXY")
    assert session.trust_env is False  # requests does not read the environment again per request
    ci = "https://b-1250000000.ci.ap-guangzhou.myqcloud.com/workflow"
    assert proxies.for_url(ci) == {"https": "http://proxy.example:3128"}
    assert proxies.for_url("https://b-1250000000.cos.ap-guangzhou.myqcloud.com/?tagging") == {}
    assert session.get_adapter(ci)._env_proxies.for_url(ci) == {"https": "http://proxy.example:3128"}
    assert EnvProxies.from_environment().for_url(ci) == {}


class ConnectRecorder:
    """A forward proxy that notes each CONNECT and refuses it: where the client meant to go."""

    def __init__(self):
        self.targets = []
        self._server = socket.socket()
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(16)
        self.port = self._server.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            with conn:
                head = conn.recv(4096).decode("latin-1")
                self.targets.append(head.split("\r\n", 1)[0])
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

    def close(self):
        self._server.close()


@pytest.mark.slow
@pytest.mark.parametrize("event", ["manual", "timer"])
def test_the_cli_goes_through_the_proxy_of_its_environment(tmp_path, event):
    proxy = ConnectRecorder()
    try:
        path = tmp_path / "event.json"
        path.write_text(json.dumps(TIMER if event == "timer" else manual("proxied-1250000000")))
        env = {**BASE_ENV, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
               "HTTPS_PROXY": f"http://127.0.0.1:{proxy.port}", "NO_PROXY": "localhost"}
        result = subprocess.run([sys.executable, "-m", "lib", "invoke", str(path), "--json"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=120)
    finally:
        proxy.close()
    assert "Traceback" not in result.stderr
    host = ("tag.tencentcloudapi.com:443" if event == "timer"
            else "proxied-1250000000.cos.ap-guangzhou.myqcloud.com:443")
    assert proxy.targets and all(t.startswith(f"CONNECT {host} HTTP/") for t in proxy.targets), proxy.targets
    report = json.loads(result.stdout)
    assert report["ok"] is False  # refused by the proxy: an error, and nothing unbound


def test_only_the_timer_loads_the_tag_sdk(cloud, invoke):
    probe = ("import sys, handler; print(sorted(m for m in sys.modules if m.startswith('tencentcloud')))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
    assert out.stdout.strip() == "[]"  # a cold start that serves events never pays for it
    cloud.add_bucket("t-1250000000", REGION, tags={"ci-unbind": "true"})
    assert invoke(TIMER)["summary"] == {"unbound": 1}
    assert "tencentcloud.tag.v20180813.tag_client" in sys.modules
