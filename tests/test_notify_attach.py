"""notifications.attach never raises, even when its own modules cannot load (they load on first
use, after the decisions are made): the decisions stand and the report says the digest failed."""

import sys

from lib import notify as notifications
from lib.notify.config import NotifySettings


class _Settings:
    notify = NotifySettings(url="https://hooks.example.com/robot/send?key=not-a-real-key-000", format="json")


def test_a_sender_that_cannot_load_fails_the_digest_not_the_run(monkeypatch):
    monkeypatch.setitem(sys.modules, "lib.notify.send", None)  # importing it raises ImportError
    report = {"ok": True, "run_id": "r1", "results": [], "summary": {}}
    out = notifications.attach(report, _Settings(), None)
    assert out["ok"] is False
    assert out["notify"]["failed"] is True and out["notify"]["sent"] is False
    assert "not-a-real-key" not in repr(out)
