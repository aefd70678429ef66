"""Keys and the session token are scrubbed in every spelling a URL encoder gives them, not only as
written: an error that quotes a signed URL or a query carries them percent-encoded, and that
spelling must not survive into the report, the log lines, the stored state or the digest."""

import io
import json
import re
from urllib.parse import quote, quote_plus

import pytest

from lib import invocation
from lib.fakecloud import FakeCloud
from lib.report import JsonLog, scrub, scrub_text
from tests import cam_policy
from tests.conftest import APPID, BASE_ENV, CONTEXT, REGION, fast_connect, manual
from tests.state_helpers import PREFIX, STATE_BUCKET, STATE_ENV, add_state_bucket, keys

# Real session tokens and keys carry characters that encode: + / = among them.
SECRET_ID = "AKIDodd+Key/Id=0000"
SECRET_KEY = "odd/secret+key=0000"
TOKEN = "tok+en/with=odd+chars/and/more=="
ENV = {**BASE_ENV, "TENCENTCLOUD_SECRETID": SECRET_ID, "TENCENTCLOUD_SECRETKEY": SECRET_KEY,
       "TENCENTCLOUD_SESSIONTOKEN": TOKEN}


def spellings(secret):
    lower_hex = re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), quote(secret, safe=""))
    return {quote(secret), quote(secret, safe=""), quote_plus(secret), lower_hex,
            quote(quote(secret, safe=""), safe="")}


@pytest.fixture
def odd_cloud():
    fake = FakeCloud(appid=APPID, secret_id=SECRET_ID, secret_key=SECRET_KEY, token=TOKEN)
    with fake:
        yield fake
    cam_policy.CALLS_MADE.update((c.service, c.endpoint) for c in fake.calls)


def test_every_spelling_is_scrubbed():
    for secret in (SECRET_ID, SECRET_KEY, TOKEN, "a key with spaces ü"):
        for form in spellings(secret) | {secret}:
            text = f"before {form} after"
            assert scrub_text(text, [secret]) == "before *** after", form
    assert scrub_text("nothing here 100%", [TOKEN]) == "nothing here 100%"
    report = {"results": [{"reasons": [{"message": quote_plus(TOKEN)}]}]}
    assert scrub(report, [TOKEN]) == {"results": [{"reasons": [{"message": "***"}]}]}


def test_an_encoded_token_in_a_service_message_leaves_no_trace(odd_cloud, capsys):
    odd_cloud.add_bucket(f"broken-{APPID}", REGION, tags={"ci-unbind": "true"})
    add_state_bucket(odd_cloud)
    robot = odd_cloud.add_robot("json")
    quoted = " ".join(sorted(f for s in (SECRET_ID, SECRET_KEY, TOKEN) for f in spellings(s)))
    odd_cloud.inject("GET /workflow", status=403, code="AccessDenied", message=f"signed with {quoted}", times=None)
    settings = invocation.cold_start({**ENV, **STATE_ENV, "CI_UNBIND_NOTIFY_URL": robot.url})
    # The function's own log (stdout), made from the settings as in production.
    report = invocation.handle(manual(f"broken-{APPID}"), CONTEXT, settings, connect_fn=fast_connect,
                               sleep=lambda _s: None)
    (result,) = report["results"]
    assert result["outcome"] == "error" and "signed with ***" in json.dumps(result)
    assert report["notify"]["sent"] is True
    stored = "\n".join(odd_cloud.objects.get(STATE_BUCKET, PREFIX + k).body.decode() for k in keys(odd_cloud))
    assert "signed with ***" in stored
    everywhere = {"report": json.dumps(report), "log": capsys.readouterr().out, "stored": stored,
                  "digest": robot.last.text}
    for where, text in everywhere.items():
        for secret in (SECRET_ID, SECRET_KEY, TOKEN):
            for form in spellings(secret) | {secret}:
                assert form not in text, (where, form)


def test_the_log_scrubs_encoded_forms_of_secrets_added_later():
    stream = io.StringIO()
    log = JsonLog(stream=stream, secrets=[SECRET_ID])
    log.add_secrets(TOKEN)
    log.emit({"msg": "x", "a": quote(SECRET_ID, safe=""), "b": quote_plus(TOKEN)})
    assert json.loads(stream.getvalue()) == {"msg": "x", "a": "***", "b": "***"}
