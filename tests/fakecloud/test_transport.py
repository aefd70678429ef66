"""The benchmark's transports (thin, and the fake in a process of its own) serve the same fake as
`responses` does, and the
counting call log counts what the full one records."""

import time

import pytest
from qcloud_cos.cos_exception import CosServiceError

from lib.fakecloud import FakeCloud
from lib.fakecloud.calllog import CallLog
from lib.fakecloud.remote import ProcessTransport, SocketClient
from lib.fakecloud.transport import ThinTransport

from .sdk import all_resources, ci_call, cos_client, tag_client


def _cloud(**kw):
    cloud = FakeCloud(**kw)
    cloud.add_bucket("one-1250000000", "ap-guangzhou", tags={"ci-unbind": "true"}).add_workflow(state="Active")
    cloud.add_bucket("two-1250000000", "ap-shanghai", tags={"ci-unbind": "true"}).enable_service("media")
    return cloud


def _exercise(cloud):
    """The same SDK calls, whatever transport carries them; what each returned."""
    cos = cos_client(cloud)
    status = ci_call(cos, "GET", "one-1250000000", headers={"Accept": "application/json"}).content
    workflows = ci_call(cos, "GET", "one-1250000000", path="/workflow", params={"pageSize": "10"}).content
    tags = cos.get_bucket_tagging(Bucket="one-1250000000")
    lists = ci_call(cos_client(cloud, region="ap-shanghai"), "GET", None, path="/mediabucket",
                    params={"regions": "ap-shanghai", "bucketNames": "two-1250000000"}).content
    found = sorted(r["Resource"] for r in all_resources(tag_client(cloud), TagFilters=[{"TagKey": "ci-unbind"}]))
    return status, workflows.count(b"<WorkflowId>"), tags, lists.count(b"<BucketId>two-1250000000"), found


def test_the_thin_transport_answers_as_responses_does():
    on_responses = _cloud()
    with on_responses:
        expected = _exercise(on_responses)
    thin = _cloud()
    with ThinTransport(thin) as transport:
        assert _exercise(thin) == expected
    assert thin.counts_by_endpoint() == on_responses.counts_by_endpoint()
    assert transport.harness_cpu > 0


def test_the_thin_transport_still_checks_every_signature():
    cloud = _cloud()
    with ThinTransport(cloud):
        with pytest.raises(CosServiceError) as err:
            ci_call(cos_client(cloud, secret_key="not-the-key"), "GET", "one-1250000000")
    assert err.value.get_status_code() == 403 and "<Code>SignatureDoesNotMatch</Code>" in err.value.get_origin_msg()


def test_the_thin_transport_patches_requests_only_while_started():
    import requests

    original = requests.adapters.HTTPAdapter.send
    cloud = _cloud()
    transport = ThinTransport(cloud, latency=0.001)
    with transport:
        assert requests.adapters.HTTPAdapter.send is not original
        with pytest.raises(RuntimeError):
            transport.start()
        ci_call(cos_client(cloud), "GET", "one-1250000000")
    assert requests.adapters.HTTPAdapter.send is original
    assert cloud.count(endpoint="GET /") == 1


def test_a_counting_log_counts_by_endpoint_action_and_group():
    groups = {"one-1250000000": "first"}
    counted = _cloud(call_log=CallLog.counting(group=lambda b: groups.get(b, "other")))
    full = _cloud()
    for cloud in (counted, full):
        with cloud:
            _exercise(cloud)
    assert counted.counts_by_endpoint() == full.counts_by_endpoint()
    assert counted.actions_seen() == full.actions_seen()
    assert counted.log.total == len(full.calls)
    assert counted.log.by_group() == {("first", "GET /"): 1, ("first", "GET /workflow"): 1,
                                      ("first", "GET /?tagging"): 1, ("other", "GET /mediabucket"): 1,
                                      ("other", "tag:GetResources"): 1}
    with pytest.raises(RuntimeError):
        counted.calls  # noqa: B018 - a counting log keeps no calls, and says so rather than answer []


# --- the fake in a process of its own (bench/sweep.py's default) ------------------------------

def test_the_process_transport_answers_as_responses_does():
    on_responses = _cloud()
    with on_responses:
        expected = _exercise(on_responses)
    keys = _cloud()  # the same keys for the clients here; the fake that answers is built in the child
    transport = ProcessTransport(_cloud)
    try:
        with transport:
            assert _exercise(keys) == expected
        stats = transport.stats()
    finally:
        transport.close()
    assert stats["counts_by_endpoint"] == on_responses.counts_by_endpoint()
    assert stats["unknown_requests"] == []
    assert stats["harness_cpu_s"] > 0 and transport.transport_cpu > 0


def test_the_process_transport_still_checks_every_signature():
    keys = _cloud()
    transport = ProcessTransport(_cloud)
    try:
        with transport:
            with pytest.raises(CosServiceError) as err:
                ci_call(cos_client(keys, secret_key="not-the-key"), "GET", "one-1250000000")
    finally:
        transport.close()
    assert err.value.get_status_code() == 403 and "<Code>SignatureDoesNotMatch</Code>" in err.value.get_origin_msg()


def test_a_request_the_fake_cannot_serve_fails_at_the_caller_and_the_fake_serves_on():
    import requests

    keys = _cloud()
    transport = ProcessTransport(_cloud, latency=0.001)
    try:
        with transport:
            with pytest.raises(requests.exceptions.ConnectionError, match="no route of the fake serves"):
                requests.get("https://nowhere.example.com/", timeout=5)
            ci_call(cos_client(keys), "GET", "one-1250000000")
        stats = transport.stats()
    finally:
        transport.close()
    assert stats["counts_by_endpoint"] == {"GET /": 1}
    assert len(stats["unknown_requests"]) == 1


class _BrokenCloud(FakeCloud):
    def dispatch(self, prepared):
        raise ValueError("a defect of the fake")


def test_a_defect_of_the_fake_is_no_network_fault_and_the_benchmark_sees_it():
    import requests

    transport = ProcessTransport(_BrokenCloud)
    try:
        with transport:
            with pytest.raises(RuntimeError, match="the fake cloud failed: ValueError"):
                requests.get("https://one-1250000000.cos.ap-guangzhou.myqcloud.com/?tagging", timeout=5)
        stats = transport.stats()
    finally:
        transport.close()
    assert stats["fake_errors"] == ["ValueError: a defect of the fake"]


def test_a_fake_that_cannot_be_built_leaves_no_process_and_no_socket_behind(tmp_path, monkeypatch):
    import multiprocessing
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def build():
        raise ValueError("cannot build")

    with pytest.raises(RuntimeError, match="ended before it was ready"):
        ProcessTransport(build)
    assert list(tmp_path.iterdir()) == []
    assert multiprocessing.active_children() == []


def _with_object(**kw):
    cloud = _cloud(**kw)
    cloud.objects.put("one-1250000000", "state/x.json", b'{"a": 1}')
    return cloud


def test_an_object_body_read_as_a_stream_arrives_whole_over_the_process_transport():
    keys = _cloud()
    transport = ProcessTransport(_with_object)
    try:
        with transport:
            body = cos_client(keys).get_object(Bucket="one-1250000000", Key="state/x.json")["Body"]
            assert b"".join(body.get_stream(65536)) == b'{"a": 1}'
    finally:
        transport.close()


def test_a_client_in_another_process_reaches_the_same_fake_and_pays_for_new_connections(tmp_path):
    address = str(tmp_path / "socket")
    transport = ProcessTransport(_cloud, latency=0.01, address=address)
    client = SocketClient(address, latency=0.01, handshake_round_trips=3)
    keys = _cloud()
    try:
        with client:
            started = time.monotonic()
            cos_client(keys).get_bucket_tagging(Bucket="one-1250000000")  # a new host: 4 round trips
            first = time.monotonic() - started
            started = time.monotonic()
            cos_client(keys).get_bucket_tagging(Bucket="one-1250000000")  # the same host: 1
            again = time.monotonic() - started
        assert client.handshakes == 1 and first >= 0.04 and again < first
        assert transport.stats()["counts_by_endpoint"]["GET /?tagging"] == 2
    finally:
        client.close()
        transport.close()
