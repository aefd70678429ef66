"""The `history` subcommand: where the history comes from, and how it is shown.

    cos-ci-unbinder history [--since 7d] [--bucket B] [--outcome O] [--json] [--html FILE]
                            [--from DIR | --simulate]

Without --from or --simulate it reads the state bucket the function's settings name
(CI_UNBIND_STATE_BUCKET, _REGION, _PREFIX) with the keys of lib/ops/credentials.py (--profile too).
"""

import os
import sys
from datetime import datetime, timedelta, timezone

from .. import invocation
from ..cloud.cos import CosClients
from ..decide import OUTCOMES
from ..report import JsonLog
from ..settings import SettingsError, load
from ..state.store import StateError, StateStore
from . import credentials, fanout_history, history, html_report
from .errors import one_line
from .outfile import OutputFile
from .simulation import SIM_CREDENTIALS, SIM_REGION, SIM_STATE_BUCKET, simulated_state

HELP = "the runs and the buckets that need a person, from the state bucket"
DESCRIPTION = ("Read the run history the function keeps in its state bucket (or saved report files) and print "
               "the runs and the buckets that need a person.")


def add_arguments(h) -> None:
    h.add_argument("--since", default="7d", help="7d, 12h, 30m or a date (default 7d)")
    h.add_argument("--bucket", help="only runs that looked at this bucket, and only its outcome")
    h.add_argument("--outcome", choices=(*OUTCOMES, "rebound"), help="only runs and buckets with this outcome")
    h.add_argument("--json", action="store_true", help="print JSON instead of text")
    h.add_argument("--html", metavar="FILE", help="write one self-contained HTML page to FILE")
    source = h.add_mutually_exclusive_group()
    source.add_argument("--from", dest="from_dir", metavar="DIR", help="saved report files (*.json) instead")
    source.add_argument("--simulate", action="store_true", help="a few demo runs on the built-in fake cloud")
    credentials.add_arguments(h)


def _simulate(now: datetime):
    """Three days of demo runs on the fake cloud, then their history read back from its state bucket."""
    from ..fakecloud import DEMO_SCENARIO, FakeCloud, load_scenario

    cloud = FakeCloud(secret_id=SIM_CREDENTIALS["TENCENTCLOUD_SECRETID"],
                      secret_key=SIM_CREDENTIALS["TENCENTCLOUD_SECRETKEY"])
    with cloud:
        load_scenario(cloud, DEMO_SCENARIO)
        env = {**SIM_CREDENTIALS, **simulated_state(cloud)}
        timer, manual = {"Type": "Timer"}, {"buckets": [{"bucket": b.name, "region": b.region} for b in cloud.buckets
                                                        if b.name != SIM_STATE_BUCKET]}
        for days_ago, event, dry in ((2, timer, "true"), (1, manual, "true"), (1, timer, "false"), (0, timer, "false")):
            when = now - timedelta(days=days_ago, hours=1)
            settings = invocation.cold_start({**env, "CI_UNBIND_DRY_RUN": dry})
            invocation.handle(event, {"request_id": f"sim-{days_ago}d-{event.get('Type', 'manual').lower()}-{dry}",
                               "time_limit_in_ms": 900000, "simulated": True}, settings, log=JsonLog(stream=_Null()),
                       now=lambda when=when: when)
        store = StateStore(CosClients(load(env).credentials), SIM_STATE_BUCKET, SIM_REGION, "cos-ci-unbinder/")
        return history.runs_from_state(store, now - timedelta(days=30), now), history.latest_from_state(store)


class _Null:
    def write(self, _text):
        pass

    def flush(self):
        pass


def _from_state(args, since: datetime, now: datetime):
    from .invoking import keys_env

    try:
        if not load(os.environ).state_bucket:
            raise history.HistoryError("set CI_UNBIND_STATE_BUCKET and CI_UNBIND_STATE_REGION (as the function has "
                                       "them), or use --from DIR or --simulate")
        settings = load({**os.environ, **keys_env(args, "read the state bucket")})
    except SettingsError as err:
        raise history.HistoryError(str(err)) from None
    store = StateStore(CosClients(settings.credentials), settings.state_bucket, settings.state_region,
                       settings.state_prefix)
    return history.runs_from_state(store, since, now), history.latest_from_state(store)


def main(args, now=None) -> int:
    """0: nothing needs a person; 1: something does; 2: the history could not be read."""
    now = now or datetime.now(timezone.utc)
    page = None
    if (args.profile or args.use_cvm_role) and (args.simulate or args.from_dir):
        print("history: --profile and --use-cvm-role are for reading the state bucket, not --simulate or --from",
              file=sys.stderr)
        return 2
    if args.html and args.json:
        print("history: --json and --html write different things: choose one", file=sys.stderr)
        return 2
    try:
        page = OutputFile(args.html, "--html", "history.html", history.HistoryError) if args.html else None
        return _show(args, now, page)
    except history.HistoryError as err:
        print(one_line(f"history: {err}"), file=sys.stderr)
        return 2
    finally:
        if page is not None:
            page.discard()


def _show(args, now, page) -> int:
    try:
        since = history.parse_since(args.since, now)
        if args.from_dir:
            runs = history.runs_from_dir(args.from_dir)
            latest, source = history.latest_from_runs(runs), args.from_dir
        elif args.simulate:
            (runs, latest), source = _simulate(now), "the simulated demo"
        else:
            runs, latest = _from_state(args, since, now)
            source = f"cos://{os.environ.get('CI_UNBIND_STATE_BUCKET')}"
    except StateError as err:
        print(f"history: {err.code}: {err.message}", file=sys.stderr)
        return 2
    runs = fanout_history.group(runs)  # a fanned-out sweep and its shards: one run
    runs, latest = history.select(runs, latest, since, args.bucket, args.outcome)
    if page is not None:
        page.write(html_report.render(runs, latest, now, source, args.bucket))
        print(f"wrote {args.html}: {len(runs)} runs, {len(history.needing_a_person(latest))} buckets need a person")
    elif args.json:
        print(history.as_json(runs, latest))
    else:
        print(history.as_text(runs, latest, args.bucket))
    return 1 if history.needing_a_person(latest) or any(not r.get("ok") for r in runs) else 0
