"""State across invocations, on the user's COS bucket: leases, the daily cap, run history.

`State` (lib/state/bucket.py) is the one object the rest of the function (and other features) use:
`check`, `claim_lease`/`release_lease`, `claim_day_slot`, `record_run`, small JSON records
(`get_json`, `put_json`, `create_json`, the last create-if-absent) and the three hooks run.py calls
(`before_unbind`, `after_unbind`, `finish`); docs/operations.md says what they do for an operator.
Keys are relative to the prefix, segments of `A-Z a-z 0-9 _ . ! = -` joined by single `/`, refused
otherwise before a request is built; a feature keeps its records under a first segment of its own
(`leases/`, `days/`, `runs/` and `buckets/` are this package's). A bucket that cannot answer raises
`StateError`. `open_state` gives `NO_STATE` when no state bucket is set, which
lets every run behave exactly as without it: such a run never imports the state bucket's modules
(leases, daily cap, history, the store), a cold-start saving; a run with a state bucket imports
them on its first `open_state`.
"""

from datetime import datetime
from typing import Callable, Optional

from ..cloud.cos import DEFAULT_RETRY, CosClients, RetryPolicy
from ..settings import Settings


class _NoState:
    """No state bucket: every hook lets the run go on exactly as it would without one."""

    error = None

    def check(self, write_start=True):
        return None

    def before_unbind(self, ref, ci, trace):
        return None

    def after_unbind(self, ref, trace, decision):
        return None

    def will_write(self, result):
        return False

    def share_sweep_cap(self, coordinator_run_id, cap, index=0, of=1):
        return None

    def finish(self, report):
        return report


NO_STATE = _NoState()


def open_state(settings: Settings, clients: Optional[CosClients], run_id: str, time_limit: Optional[float],
               now: Callable[[], datetime], retry: RetryPolicy = DEFAULT_RETRY):
    if not settings.state_bucket:
        return NO_STATE
    if clients is None:  # never run without the state the settings ask for
        raise RuntimeError("a state bucket is set but the run has no COS clients for it")
    # Imported here, not above: only a run with a state bucket needs them (cold start).
    from .bucket import State
    from .store import StateStore

    store = StateStore(clients, settings.state_bucket, settings.state_region, settings.state_prefix, retry)
    return State(store, settings, run_id, time_limit, now, workers=settings.concurrency)
