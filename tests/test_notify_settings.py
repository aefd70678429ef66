"""CI_UNBIND_NOTIFY_* and CI_UNBIND_NOTICE_DAYS: validated with the other settings; the URL's key
and the secret never appear in an error, a log line or the settings shown."""

import json

import pytest

from lib import invocation
from lib.notify.config import DEFAULT_ON
from lib.settings import SettingsError, load, public_view
from tests.conftest import BASE_ENV, manual

KEY = "693a91f6-7aaa-4bc4-97a0-0ec2sifa5aaa"
WECOM = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}"


def test_defaults_mean_no_notifications():
    s = load({})
    assert not s.notify.enabled and s.notify.on == frozenset(DEFAULT_ON) and s.notify.notice_days == 3
    assert public_view(s)["notify"] == {"host": None, "format": None, "secret": False,
                                        "on": ["blocked", "error", "refused", "unbound"], "notice_days": 3}


@pytest.mark.parametrize("url,fmt", [
    (WECOM, "wecom"),
    ("https://oapi.dingtalk.com/robot/send?access_token=" + "a1" * 32, "dingtalk"),
    ("https://open.feishu.cn/open-apis/bot/v2/hook/0d9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f50", "feishu"),
    ("https://open.larksuite.com/open-apis/bot/v2/hook/0d9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f50", "feishu"),
    ("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX", "slack"),
    ("https://alerts.example.org/hooks/cos-ci-unbinder", "json"),
])
def test_auto_format_by_host(url, fmt):
    s = load({"CI_UNBIND_NOTIFY_URL": url})
    assert s.notify.format == fmt and s.notify.host == url.split("/")[2]


def test_explicit_format_wins_over_the_host():
    s = load({"CI_UNBIND_NOTIFY_URL": WECOM, "CI_UNBIND_NOTIFY_FORMAT": "JSON"})
    assert s.notify.format == "json"


@pytest.mark.parametrize("env,names", [
    ({"CI_UNBIND_NOTIFY_URL": WECOM.replace("https", "http")}, "https"),
    ({"CI_UNBIND_NOTIFY_URL": f"https://user:pw@qyapi.weixin.qq.com/send?key={KEY}"}, "user name"),
    ({"CI_UNBIND_NOTIFY_URL": f"https://qyapi.weixin.qq.com./send?key={KEY}"}, "host"),
    ({"CI_UNBIND_NOTIFY_URL": f"https://qyapi_weixin.qq.com/send?key={KEY}"}, "host"),
    ({"CI_UNBIND_NOTIFY_URL": f"https://10.0.0.1/send?key={KEY}"}, "host"),
    ({"CI_UNBIND_NOTIFY_URL": f"https://qyapi.weixin.qq.com:99999/send?key={KEY}"}, "port"),
    ({"CI_UNBIND_NOTIFY_URL": WECOM + "#frag"}, "fragment"),
    ({"CI_UNBIND_NOTIFY_URL": WECOM + " extra"}, "characters"),
    ({"CI_UNBIND_NOTIFY_URL": WECOM + "\n"}, None),  # surrounding white space is not part of a URL
    ({"CI_UNBIND_NOTIFY_URL": WECOM, "CI_UNBIND_NOTIFY_FORMAT": "teams"}, "CI_UNBIND_NOTIFY_FORMAT"),
    ({"CI_UNBIND_NOTIFY_URL": WECOM, "CI_UNBIND_NOTIFY_SECRET": "SECxyz123"}, "signs DingTalk and Feishu"),
    ({"CI_UNBIND_NOTIFY_ON": "blocked,exploded"}, "CI_UNBIND_NOTIFY_ON"),
    ({"CI_UNBIND_NOTICE_DAYS": "-1"}, "CI_UNBIND_NOTICE_DAYS"),
    ({"CI_UNBIND_NOTICE_DAYS": "three"}, "CI_UNBIND_NOTICE_DAYS"),
    ({"CI_UNBIND_NOTICE_DAYS": "400"}, "CI_UNBIND_NOTICE_DAYS"),
])
def test_invalid_values_are_invalid_settings_that_never_quote_the_key(env, names):
    if names is None:
        assert load(env).notify.url == WECOM
        return
    with pytest.raises(SettingsError) as err:
        load(env)
    assert names in str(err.value) and KEY not in str(err.value) and "SECxyz123" not in str(err.value)


def test_on_and_notice_days_are_read():
    s = load({"CI_UNBIND_NOTIFY_ON": " Blocked , error ", "CI_UNBIND_NOTICE_DAYS": "0"})
    assert s.notify.on == {"blocked", "error"} and s.notify.notice_days == 0


def test_an_invalid_notify_setting_stops_the_run_before_any_request(cloud):
    settings = invocation.cold_start({**BASE_ENV, "CI_UNBIND_NOTIFY_URL": "http://qyapi.weixin.qq.com/x?key=" + KEY})
    report = invocation.handle(manual("a-1250000000"), {}, settings)
    assert report["ok"] is False and report["error"]["code"] == "invalid_settings"
    assert "CI_UNBIND_NOTIFY_URL" in report["error"]["message"] and KEY not in json.dumps(report)
    assert cloud.calls == []


def test_the_settings_log_line_shows_the_host_only():
    s = load({"CI_UNBIND_NOTIFY_URL": "https://oapi.dingtalk.com/robot/send?access_token=" + "b2" * 32,
              "CI_UNBIND_NOTIFY_SECRET": "SEC" + "c3" * 30})
    shown = json.dumps(public_view(s))
    assert "oapi.dingtalk.com" in shown and "b2b2" not in shown and "c3c3" not in shown
    assert '"secret": true' in shown and "SEC" not in shown
    assert "notify" not in repr(s) and "b2b2" not in repr(s.notify)


def test_what_is_scrubbed_is_the_key_not_common_words():
    s = load({"CI_UNBIND_NOTIFY_URL": "https://alerts.example.org/services/hook?format=json&token=a1b2c3d4e5"})
    assert s.notify.secrets() == ["https://alerts.example.org/services/hook?format=json&token=a1b2c3d4e5",
                                  "a1b2c3d4e5"]
    slack = load({"CI_UNBIND_NOTIFY_URL": "https://hooks.slack.com/services/T0AB12CD3/B0EF45GH6/xYz0123456789abcdefGHIJK"})
    assert set(slack.notify.secrets()) > {"T0AB12CD3", "B0EF45GH6", "xYz0123456789abcdefGHIJK"}
    assert "services" not in slack.notify.secrets()
