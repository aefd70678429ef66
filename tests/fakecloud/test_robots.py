"""The fake chat robots refuse what the real ones document refusing, in each robot's own words."""

import json

import requests


def post(url, body, **kw):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return requests.post(url, data=data, headers={"Content-Type": "application/json"}, timeout=5, **kw)


def test_wecom_markdown_limit_is_4096_bytes_of_utf8(cloud):
    robot = cloud.add_robot("wecom")
    ok = post(robot.url, {"msgtype": "markdown", "markdown": {"content": "字" * 1365}})  # 4095 bytes
    too_long = post(robot.url, {"msgtype": "markdown", "markdown": {"content": "字" * 1366}})
    assert ok.status_code == 200 and ok.json() == {"errcode": 0, "errmsg": "ok"}
    assert too_long.status_code == 200 and too_long.json()["errcode"] == 40058
    assert [r.code for r in robot.refusals] == ["40058"] and len(robot.messages) == 1
    assert robot.last.text == "字" * 1365


def test_unknown_keys_and_wrong_shapes(cloud):
    robot = cloud.add_robot("wecom")
    assert post(robot.url + "x", {"msgtype": "markdown", "markdown": {"content": "a"}}).json()["errcode"] == 93000
    assert post(robot.url, {"msgtype": "news"}).json()["errcode"] == 40008
    assert post(robot.url, "[1, 2]").json()["errcode"] == 40000
    assert requests.get(robot.url, timeout=5).status_code == 405
    assert robot.messages == []


def test_dingtalk_checks_the_signature_and_the_body_size(cloud):
    import time
    from urllib.parse import urlencode

    from lib.notify.send import sign_dingtalk
    robot = cloud.add_robot("dingtalk", secret="SECabc")
    body = {"msgtype": "markdown", "markdown": {"title": "t", "text": "x"}}
    assert post(robot.url, body).json()["errcode"] == 310000
    signed = robot.url + "&" + urlencode(sign_dingtalk("SECabc", time.time()))
    assert post(signed, body).json()["errcode"] == 0
    big = {"msgtype": "markdown", "markdown": {"title": "t", "text": "x" * 20000}}
    assert post(signed, big).json() == {"errcode": 460101, "errmsg": "message too long, exceed 20000 bytes"}


def test_feishu_checks_the_signature_in_the_body_and_20_kb(cloud):
    import time

    from lib.notify.send import sign_feishu
    robot = cloud.add_robot("feishu", secret="s3cret")
    card = {"msg_type": "interactive", "card": {"elements": [{"tag": "markdown", "content": "hi"}]}}
    assert post(robot.url, card).json()["code"] == 19021
    assert post(robot.url, {**sign_feishu("s3cret", time.time()), **card}).json() == {
        "code": 0, "msg": "success", "data": {}}
    big = {**sign_feishu("s3cret", time.time()), "msg_type": "interactive",
           "card": {"elements": [{"tag": "markdown", "content": "x" * 20000}]}}
    assert post(robot.url, big).json()["code"] == 9499
    assert robot.last.text == "hi"


def test_slack_blocks_limits(cloud):
    robot = cloud.add_robot("slack")
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x"}}
    assert post(robot.url, {"text": "t", "blocks": [section] * 50}).text == "ok"
    too_many = post(robot.url, {"text": "t", "blocks": [section] * 51})
    assert too_many.status_code == 400 and too_many.text == "invalid_blocks"
    long_text = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    assert post(robot.url, {"blocks": [long_text]}).text == "invalid_blocks"
    long_header = {"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}
    assert post(robot.url, {"blocks": [long_header]}).text == "invalid_blocks"
    assert post(robot.url, {}).text == "no_text"
    # Each section within its own limit, but more than 12,000 characters of text in all.
    five = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 2500}}] * 5
    too_long = post(robot.url, {"text": "t", "blocks": five})
    assert too_long.status_code == 400 and too_long.text == "msg_blocks_too_long"
    unknown = post(robot.url.replace("/services/", "/services/T0/"), {"text": "t"})
    assert unknown.status_code == 404 and unknown.text == "no_service"
    assert len(robot.messages) == 1


def test_a_json_receiver_keeps_the_payload(cloud):
    robot = cloud.add_robot("json")
    assert post(robot.url, {"a": 1}).status_code == 200
    assert robot.last.payload == {"a": 1} and json.loads(robot.last.text) == {"a": 1}
