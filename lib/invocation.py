"""The function's entry: settings read once per container, the event parsed, the run started, and
every way an invocation can fail before or around its buckets turned into a report. Never raises.
"""

import time
from dataclasses import replace
from datetime import datetime
from typing import Callable, Optional, Union

from . import notify as notifications
from . import report as reports
from . import run as runs
from .budget import context_value
from .clock import utc_now
from .cloud import cam as accounts
from .cloud.clients import connect
from .org import members
from .settings import Settings, SettingsError, load
from .triggers import InvalidEvent, parse


def cold_start(env=None) -> Union[Settings, SettingsError]:
    """Settings are read once per container; an invalid one is kept and reported on every call."""
    try:
        return load(env)
    except SettingsError as err:
        return err


def failure(code: str, message: str, log: reports.JsonLog, run_id=None, trigger=None, dry_run=True,
            secrets=(), settings: Optional[Settings] = None, sleep=time.sleep, connect_fn=None,
            now: Callable[[], datetime] = utc_now) -> dict:
    """A report for an invocation that could not run its buckets; logged like any run, and
    notified when the settings were good enough to say where."""
    out = reports.failed(code, message, str(run_id or runs.new_run_id()), trigger, dry_run, secrets)
    if settings is not None and code == "invalid_event":
        # Anyone who may invoke the function can send events it cannot read: one digest a quiet
        # period, not one each.
        out = notifications.attach_quietly(out, settings, _quiet_store(settings, connect_fn), sleep=sleep,
                                           clock=lambda: now().timestamp())
    elif settings is not None:
        out = notifications.attach(out, settings, sleep=sleep)
    if "notify" in out:  # the state bucket's errors may quote the keys its calls were signed with
        out["notify"] = reports.scrub(out["notify"], secrets)
    reports.log_run(log, out)
    return out


def _quiet_store(settings: Settings, connect_fn):
    """The state bucket, for the quiet period of invalid events' digests; None without one (or
    without keys to reach it): the period then holds in the container's memory."""
    if connect_fn is None or not settings.notify.enabled or not settings.state_bucket or not settings.credentials:
        return None
    try:
        from .state.store import StateStore

        cloud = connect_fn(settings)
        return StateStore(cloud.clients, settings.state_bucket, settings.state_region, settings.state_prefix,
                          cloud.retry)
    except Exception:
        return None


def handle(event, context, settings: Union[Settings, SettingsError], *, connect_fn=connect,
           log: Optional[reports.JsonLog] = None, identity: Optional[accounts.Identity] = None,
           **runner_options) -> dict:
    """The whole invocation. Returns the report; never raises (a retried invocation would only
    redo the work, and the next sweep reconciles whatever this one could not do)."""
    started = runner_options.get("clock", time.monotonic)()
    run_id = context_value(context, "request_id")
    if isinstance(settings, SettingsError):
        return failure("invalid_settings", str(settings), log or reports.JsonLog(), run_id)
    secrets = runs.secrets_of(settings)
    log = log or reports.JsonLog(secrets=secrets)
    sleep = runner_options.get("sleep", time.sleep)
    now = runner_options.get("now", utc_now)
    try:
        trigger = parse(event)
        members.check_event(trigger, settings)
    except InvalidEvent as err:
        return failure("invalid_event", str(err), log, run_id, dry_run=settings.dry_run, secrets=secrets,
                       settings=settings, sleep=sleep, connect_fn=connect_fn, now=now)
    except Exception as exc:  # any JSON value must end in a report, never in a raise
        return failure("invalid_event", f"unreadable event ({type(exc).__name__})", log, run_id,
                       dry_run=settings.dry_run, secrets=secrets, settings=settings, sleep=sleep,
                       connect_fn=connect_fn, now=now)
    if not settings.credentials:
        return failure("missing_credentials", "TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY are not set; "
                       "give the function an execution role", log, run_id, trigger.kind, settings.dry_run,
                       secrets, settings, sleep)
    try:
        if members.applies(trigger, settings):
            return members.handle(trigger, context, settings, connect_fn=connect_fn, log=log, started=started,
                                  identity=identity or accounts.Identity(), **runner_options)
        cloud = connect_fn(settings)
        # Whose buckets: TENCENTCLOUD_APPID, else CAM once per container (`identity`, kept by handler.py).
        account = (identity or accounts.Identity()).resolve(settings.appid, cloud.appid)
        if account.appid and account.appid != settings.appid:
            settings = replace(settings, appid=account.appid)
        runner = runs.Runner(settings, cloud, log=log, account=account, **runner_options)
        return runner.run(trigger, context, started=started)
    except Exception as exc:  # a fault of ours: report it, and unbind nothing more
        return failure("internal_error", f"{type(exc).__name__}: {exc}"[:300], log, run_id, trigger.kind,
                       settings.dry_run, secrets, settings, sleep)
