"""The fake's COS objects and bucket versioning, through cos-python-sdk-v5 and lib/state/store.py."""

import pytest
from qcloud_cos import CosServiceError

from lib.cloud.cos import CosClients, RetryPolicy
from lib.settings import Credentials
from lib.state.store import DENIED, MISSING, UNAVAILABLE, VERSIONED, StateError, StateStore

B = "state-1250000000"
R = "ap-guangzhou"
NO_WAIT = RetryPolicy(attempts=2, initial_wait=0, max_wait=0, sleep=lambda _s: None)


@pytest.fixture
def store(cloud):
    cloud.add_bucket(B, R, ci_status="off")
    clients = CosClients(Credentials(cloud.secret_id, cloud.secret_key))
    return StateStore(clients, B, R, "p/", NO_WAIT)


def test_put_get_head_delete_with_the_sdk(cloud, cos):
    cloud.add_bucket(B, R, ci_status="off")
    cos.put_object(Bucket=B, Key="a/b.json", Body=b'{"x": 1}', EnableMD5=True)
    assert cos.get_object(Bucket=B, Key="a/b.json")["Body"].get_raw_stream().read() == b'{"x": 1}'
    assert cos.head_object(Bucket=B, Key="a/b.json")["ETag"].startswith('"')
    cos.delete_object(Bucket=B, Key="a/b.json")
    with pytest.raises(CosServiceError) as err:
        cos.get_object(Bucket=B, Key="a/b.json")
    assert (err.value.get_status_code(), err.value.get_error_code()) == (404, "NoSuchKey")
    assert [c.action for c in cloud.calls] == ["cos:PutObject", "cos:GetObject", "cos:HeadObject",
                                               "cos:DeleteObject", "cos:GetObject"]


def test_forbid_overwrite_answers_409_only_while_versioning_was_never_on(cloud, cos):
    cloud.add_bucket(B, R, ci_status="off")
    forbid = {"x-cos-forbid-overwrite": "true"}
    cos.put_object(Bucket=B, Key="k", Body=b"1", Metadata=forbid)
    with pytest.raises(CosServiceError) as err:
        cos.put_object(Bucket=B, Key="k", Body=b"2", Metadata=forbid)
    assert (err.value.get_status_code(), err.value.get_error_code()) == (409, "FileAlreadyExists")
    cos.put_object(Bucket=B, Key="k", Body=b"3")  # without the header, an overwrite
    assert cloud.objects.get(B, "k").body == b"3"
    # The documented trap: once versioning was on (even suspended now), the header does nothing.
    cloud.objects.set_versioning(B, "Enabled")
    cloud.objects.set_versioning(B, "Suspended")
    cos.put_object(Bucket=B, Key="k", Body=b"4", Metadata=forbid)
    assert cloud.objects.get(B, "k").body == b"4"


def test_the_header_is_signed_as_sent(cloud, cos):
    cloud.add_bucket(B, R, ci_status="off")
    cos.put_object(Bucket=B, Key="k", Body=b"1", Metadata={"x-cos-forbid-overwrite": "true"})
    (call,) = cloud.calls
    assert call.status == 200  # the fake recomputed the q-signature over x-cos-forbid-overwrite


def test_versioning_answers(cloud, cos):
    cloud.add_bucket(B, R, ci_status="off")
    assert cos.get_bucket_versioning(Bucket=B) == {"VersioningConfiguration": None}
    cloud.objects.set_versioning(B, "Enabled")
    assert cos.get_bucket_versioning(Bucket=B) == {"Status": "Enabled"}
    with pytest.raises(ValueError):
        cloud.objects.set_versioning(B, "Off")


def test_list_with_prefix_and_paging(cloud, cos):
    cloud.add_bucket(B, R, ci_status="off")
    for i in range(7):
        cloud.objects.put(B, f"p/{i:02d}", b"x")
    cloud.objects.put(B, "q/other", b"x")
    page = cos.list_objects(Bucket=B, Prefix="p/", MaxKeys=3)
    assert [c["Key"] for c in page["Contents"]] == ["p/00", "p/01", "p/02"]
    assert page["IsTruncated"] == "true" and page["NextMarker"] == "p/02"
    page = cos.list_objects(Bucket=B, Prefix="p/", MaxKeys=3, Marker="p/05")
    assert [c["Key"] for c in page["Contents"]] == ["p/06"] and page["IsTruncated"] == "false"
    folders = cos.list_objects(Bucket=B, Delimiter="/")
    assert [p["Prefix"] for p in folders["CommonPrefixes"]] == ["p/", "q/"]


def test_no_such_bucket(cloud, cos):
    with pytest.raises(CosServiceError) as err:
        cos.put_object(Bucket=B, Key="k", Body=b"1")
    assert (err.value.get_status_code(), err.value.get_error_code()) == (404, "NoSuchBucket")


def test_store_create_get_list_all_pages(store, cloud):
    assert store.create_json("leases/x/0001.json", {"n": 1}) is True
    assert store.create_json("leases/x/0001.json", {"n": 2}) is False
    assert store.get_json("leases/x/0001.json") == {"n": 1}
    assert store.get_json("leases/x/missing.json") is None
    for i in range(5):
        store.put_json(f"runs/{i}.json", {"i": i})
    assert [o.key for o in store.list("runs/", page_size=2)] == [f"runs/{i}.json" for i in range(5)]
    assert cloud.count("GET Bucket") == 3  # three pages of two
    assert cloud.objects.keys(B) == sorted(["p/leases/x/0001.json"] + [f"p/runs/{i}.json" for i in range(5)])


@pytest.mark.parametrize("key", ["../x", "/x", "a//b", "a/../b", "a b", "a\nb", ""])
def test_store_refuses_keys_outside_its_shape(store, key):
    with pytest.raises(ValueError):
        store.put_json(key, {})


def test_store_check(store, cloud):
    store.check()
    cloud.objects.set_versioning(B, "Enabled")
    with pytest.raises(StateError) as err:
        store.check()
    assert err.value.code == VERSIONED


@pytest.mark.parametrize("body", [
    "<VersioningConfiguration/>",
    "<VersioningConfiguration></VersioningConfiguration>",
    "<VersioningConfiguration>\n</VersioningConfiguration>",
])
def test_a_configuration_without_a_status_is_never_versioned(store, cloud, body):
    cloud.objects.answer_versioning_with(B, body)
    store.check()


@pytest.mark.parametrize("body", [
    "<VersioningConfiguration><Status></Status></VersioningConfiguration>",
    "<VersioningConfiguration><Status/></VersioningConfiguration>",
    "<VersioningConfiguration><Status> </Status></VersioningConfiguration>",
    "<VersioningConfiguration><Status>Paused</Status></VersioningConfiguration>",
    "<VersioningConfiguration><MfaDelete>Disabled</MfaDelete></VersioningConfiguration>",
    "<Status/>",
])
def test_a_status_that_says_nothing_known_is_malformed(store, cloud, body):
    # The SDK reads an empty <Status> as {"Status": None}: that is not "never versioned".
    cloud.objects.answer_versioning_with(B, body)
    with pytest.raises(StateError) as err:
        store.check()
    assert err.value.code == UNAVAILABLE and err.value.error.code == "MalformedResponse"


@pytest.mark.parametrize("fault,code", [
    (dict(status=403, code="AccessDenied"), DENIED),
    (dict(status=500, code="InternalError"), UNAVAILABLE),
    (dict(connection_error=True), UNAVAILABLE),
    (dict(body="html"), UNAVAILABLE),
    (dict(body="error_document"), UNAVAILABLE),
])
def test_store_check_failures(store, cloud, fault, code):
    cloud.inject("GET /?versioning", **fault)
    with pytest.raises(StateError) as err:
        store.check()
    assert err.value.code == code


def test_store_on_a_missing_bucket(cloud):
    store = StateStore(CosClients(Credentials(cloud.secret_id, cloud.secret_key)), "gone-1250000000", R, "p/", NO_WAIT)
    with pytest.raises(StateError) as err:
        store.create_json("a.json", {})
    assert err.value.code == MISSING and err.value.as_reason()["http_status"] == 404


def test_a_create_is_retried_after_a_5xx(store, cloud):
    cloud.inject("PUT Object", status=503, times=1)
    assert store.create_json("k.json", {"token": "t1"}) is True  # the retry created it
    assert store.create_json("k.json", {"token": "t2"}) is False
    assert store.get_json("k.json") == {"token": "t1"}


def test_store_unreadable_record(store, cloud):
    cloud.objects.put(B, "p/bad.json", b"{not json")
    with pytest.raises(StateError) as err:
        store.get_json("bad.json")
    assert err.value.code == UNAVAILABLE


def test_a_lost_answer_leaves_the_write_done(cloud, cos):
    from qcloud_cos import CosClientError

    cloud.add_bucket(B, R, ci_status="off")
    cloud.inject("PUT Object", lost_answer=True, times=1)
    with pytest.raises(CosClientError):
        cos.put_object(Bucket=B, Key="k", Body=b"1")
    assert cloud.objects.get(B, "k").body == b"1"
    assert cloud.calls[-1].status is None and cloud.calls[-1].fault == "lost_answer"
    with pytest.raises(ValueError):
        cloud.inject("PUT Object", lost_answer=True, status=500)


def test_a_retried_create_whose_first_answer_was_lost_meets_itself(store, cloud):
    # The store says "it was there" (409); telling its own first attempt apart is the caller's job,
    # by the body it wrote (tests/test_state.py shows leases and slots do).
    cloud.inject("PUT Object", lost_answer=True, times=1)
    assert store.create_json("k.json", {"token": "t1"}) is False
    assert store.get_json("k.json") == {"token": "t1"}
