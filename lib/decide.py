"""The decision for one bucket, as a pure function of what is known about it.

`decide` walks the contract's order (docs/design.md#decision-order). When it needs a fact that has not been
gathered yet it says so with `Need`, and the caller gathers exactly that and asks again; so the
order of calls follows the order of the decision and a bucket that is `not_requested` costs one
call. Given the same facts it always gives the same answer, so it is tested as a table.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Optional, Union

from .buckets import BucketRef
from .clock import iso_utc
from .cloud.errors import ApiError
from .settings import Settings

OUTCOMES = ("unbound", "would_unbind", "blocked", "refused", "not_bound", "unbinding", "skipped",
            "deferred", "error")

# What the caller must gather next.
NEED_TAGS, NEED_STATUS, NEED_BLOCKERS, NEED_SLOT = "tags", "status", "blockers", "slot"
# The slot answer: a place under the per-run cap, or why there is none.
GRANTED, CAP, DEADLINE = "granted", "max_per_run", "deadline"
# Why the state bucket defers a bucket (lib/state/bucket.py).
LEASE_HELD, MAX_PER_DAY = "lease_held", "max_per_day"
# The action for an eligible bucket with a slot.
UNBIND = "unbind"


@dataclass(frozen=True)
class Need:
    what: str


@dataclass(frozen=True)
class Decision:
    outcome: str
    reasons: tuple = ()
    action: Optional[str] = None  # UNBIND when the caller must send PUT /?unbind


@dataclass
class Facts:
    ref: BucketRef
    started_after_deadline: bool = False
    cap_full: bool = False  # the per-run cap was full, with nothing pending, when the bucket started
    owner_unknown: Optional[dict] = None  # the appid_unknown reason when the account's APPID is unknown
    tags: Optional[dict] = None
    tags_error: Optional[ApiError] = None
    status: Optional[str] = None
    status_error: Optional[ApiError] = None
    blockers: Optional[list] = None  # None: not gathered; [] gathered, none found
    check_errors: list = field(default_factory=list)
    slot: Optional[str] = None
    # How far ahead a dated request is checked read-only for a heads-up (None: not on this run).
    heads_up: Optional[timedelta] = None


# ISO 8601 as people write it on a tag: a date, or a date and time with an optional zone. Spelled
# out rather than left to datetime.fromisoformat, whose accepted forms grew after Python 3.9.
# Compiled on first use (cold start): only a dated request value needs it, `true` never does.
@cache
def _iso_re() -> re.Pattern:
    return re.compile(
        r"^(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
        r"(?:[Tt ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d{1,6}))?)?"
        r"(?P<z>[Zz]|[+-]\d{2}:\d{2})?)?\Z"
    )


def parse_request_value(value: str) -> Union[bool, datetime, None]:
    """`true` (any case) -> True; an ISO date or datetime -> its UTC instant; anything else -> None.

    A date alone means midnight UTC; a datetime without a zone is taken as UTC.
    """
    text = (value or "").strip()
    if text.lower() == "true":
        return True
    m = _iso_re().match(text)
    if not m:
        return None
    zone = timezone.utc
    z = m.group("z")
    if z and z not in ("Z", "z"):
        sign = 1 if z[0] == "+" else -1
        hours, minutes = int(z[1:3]), int(z[4:6])
        if hours > 23 or minutes > 59:
            return None
        zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        parsed = datetime(int(m.group("y")), int(m.group("mo")), int(m.group("d")), int(m.group("h") or 0),
                          int(m.group("mi") or 0), int(m.group("s") or 0),
                          int((m.group("f") or "0").ljust(6, "0")), tzinfo=zone)
    except ValueError:
        return None
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:
        # A valid date whose UTC instant falls outside datetime's range (9999-12-31T23:59:59-08:00,
        # 0001-01-01T00:00:00+01:00): the nearest representable instant keeps its order to now.
        edge = datetime.max if parsed.year == 9999 else datetime.min
        return edge.replace(tzinfo=timezone.utc)


# One reason object for every bucket deferred by the cap or the deadline, which in a large event is
# nearly all of them (200,000 copies of one small dict are 46 MB). Nothing changes a reason in
# place: the report, the log and the state copy what they change.
_PAST_DEADLINE, _CAP_FULL = {"code": DEADLINE}, {"code": CAP}


def _reason(code: str, **details) -> dict:
    return {"code": code, **details}


def _skip(code: str, **details) -> Decision:
    return Decision("skipped", (_reason(code, **details),))


def decide(facts: Facts, settings: Settings, now: datetime, dry_run: bool) -> Union[Decision, Need]:
    ref = facts.ref

    # 2. where the bucket is and whose it is
    if not settings.region_allowed(ref.region):
        return _skip("region_excluded", allowed=sorted(settings.regions))
    if facts.owner_unknown is not None:  # whose bucket it is cannot be told: never unbind it
        return Decision("error", (dict(facts.owner_unknown),))
    if settings.appid is not None and ref.appid != settings.appid:
        return _skip("foreign_account", appid=ref.appid)
    if facts.started_after_deadline:
        return Decision("deferred", (_PAST_DEADLINE,))
    # No slot can come back once the cap is full with nothing pending: every read would be wasted.
    if facts.cap_full:
        return Decision("deferred", (_CAP_FULL,))

    # 3. the owner's request, read live
    if facts.tags_error is not None:
        return Decision("error", (facts.tags_error.as_reason(),))
    if facts.tags is None:
        return Need(NEED_TAGS)
    if settings.tag_key not in facts.tags:
        return _skip("not_requested", tag_key=settings.tag_key)
    raw = facts.tags[settings.tag_key]
    requested = parse_request_value(raw)
    if requested is None:
        return _skip("not_requested", tag_key=settings.tag_key, value=raw,
                     detail="the value is neither true nor an ISO date")
    if settings.protect_tag_key in facts.tags:
        return _skip("protected", tag_key=settings.protect_tag_key)
    if isinstance(requested, datetime) and requested > now:
        not_before = iso_utc(requested)
        if facts.heads_up is None or requested - now > facts.heads_up:
            return _skip("not_due", not_before=not_before)
        return heads_up(facts, not_before)

    # 4. binding status
    if facts.status_error is not None:
        return Decision("error", (facts.status_error.as_reason(),))
    if facts.status is None:
        return Need(NEED_STATUS)
    if facts.status == "off":
        return Decision("not_bound", (_reason("ci_status", status="off"),))
    if facts.status == "unbinding":
        return Decision("unbinding", (_reason("ci_status", status="unbinding"),))
    if facts.status != "on":
        return Decision("error", (_reason("unknown_status", status=facts.status),))

    # 5. blockers, every one of them, and 6. checks that could not be made
    if facts.blockers is None:
        return Need(NEED_BLOCKERS)
    failures = tuple(err.as_reason() for err in facts.check_errors)
    if facts.blockers:
        return Decision("blocked", tuple(facts.blockers) + failures)
    if failures:
        return Decision("error", failures)

    # 7. the run's cap and time budget
    if facts.slot is None:
        return Need(NEED_SLOT)
    if facts.slot != GRANTED:
        return Decision("deferred", (_reason(facts.slot),))

    # 8. act
    if dry_run:
        return Decision("would_unbind", (_reason("dry_run"),))
    return Decision("unbind", (), action=UNBIND)


def heads_up_window(notice_days: int, trigger_kind: Optional[str]) -> Optional[timedelta]:
    """How far ahead this run looks for heads-ups: the sweep does, for CI_UNBIND_NOTICE_DAYS."""
    return timedelta(days=notice_days) if trigger_kind == "timer" and notice_days > 0 else None


def heads_up(facts: Facts, not_before: str) -> Union[Decision, Need]:
    """A request that falls due soon, checked read-only so its owners can clear blockers in time.

    It asks for the status and the blockers like a due request, and always ends `skipped`/
    `not_due`, saying what would happen (`heads_up`): it never asks for a slot and never unbinds.
    """
    def note(state: str, *more) -> Decision:
        return Decision("skipped", (_reason("not_due", not_before=not_before, heads_up=state),) + more)

    if facts.status_error is not None:
        return note("unknown", facts.status_error.as_reason())
    if facts.status is None:
        return Need(NEED_STATUS)
    if facts.status in ("off", "unbinding"):
        return note("not_bound" if facts.status == "off" else "unbinding")
    if facts.status != "on":
        return note("unknown", _reason("unknown_status", status=facts.status))
    if facts.blockers is None:
        return Need(NEED_BLOCKERS)
    failures = tuple(err.as_reason() for err in facts.check_errors)
    if facts.blockers:
        return note("blocked", *facts.blockers, *failures)
    return note("unknown", *failures) if failures else note("would_unbind")


def after_unbind(put_request_id: str, verified: Optional[str], verify_error: Optional[ApiError]) -> Decision:
    """The outcome of an accepted PUT /?unbind, from the status read that followed it."""
    accepted = _reason("unbind_accepted", request_id=put_request_id)
    if verified in ("unbinding", "off"):
        return Decision("unbound", (accepted, _reason("ci_status", status=verified)))
    if verify_error is not None:
        return Decision("error", (accepted, _reason("unverified"), verify_error.as_reason()))
    return Decision("error", (accepted, _reason("unverified", status=verified)))


def refused(http_status: int, code: str, message: str, request_id: str) -> Decision:
    return Decision("refused", (_reason("unbind_refused", http_status=http_status, service_code=code,
                                        message=message, request_id=request_id),))


def failed_unbind(err: ApiError) -> Decision:
    return Decision("error", (err.as_reason(),))
