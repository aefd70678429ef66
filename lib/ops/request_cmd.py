"""`request` and `withdraw`: set or remove the request tag through COS bucket tagging, every other tag kept.

PUT /?tagging replaces the whole set, so each bucket is read, changed in the request tag alone,
written, then read again: a read-back that differs from what was written is a `conflict` (someone
else changed the tags meanwhile), reported with both sets. COS has no conditional tagging write, so
the confirmation comes first and the read, the write and the read-back follow one another at once.
A protected bucket, or one already at COS's 50 tags, is refused (one line each) and not written.
"""

import json
import sys
from concurrent.futures import ThreadPoolExecutor

from . import credentials
from .errors import CliError, NothingToDo

MAX_TAGS = 50  # COS: at most 50 tags a bucket ("Bucket Tag Overview", COS documentation 436/31509)
ASK_ABOVE = 5  # as a live `invoke`: more buckets than this, or a file of them, asks for yes
OK = ("requested", "withdrawn", "unchanged")

HELP = {"request": "set the request tag on buckets (other tags kept)",
        "withdraw": "remove the request tag from buckets (other tags kept)"}
DESCRIPTION = {
    "request": "Set the request tag (CI_UNBIND_TAG_KEY, default ci-unbind) to true, or to a date with --not-before, "
               "on each bucket named, keeping every other tag: read, change, write, read again; a change by someone "
               "else in between is reported as a conflict. Refuses protected buckets and buckets at COS's 50 tags. "
               "More than 5 buckets, or --from-inventory, asks for yes (--yes for scripts).",
    "withdraw": "Remove the request tag from each bucket named, keeping every other tag (read, change, write, read "
                "again). More than 5 buckets asks for yes (--yes for scripts).",
}


def command(name: str):
    def add(p):
        p.add_argument("--bucket", action="append", metavar="NAME-APPID", help="a bucket (repeatable)")
        p.add_argument("--region", action="append", help="its region: once for all buckets, or once per --bucket")
        if name == "request":
            p.add_argument("--from-inventory", metavar="FILE",
                           help="the buckets that could be unbound today in a saved `inventory --json`")
            p.add_argument("--not-before", metavar="YYYY-MM-DD", help="request an unbind from this date (UTC)")
        p.add_argument("--yes", action="store_true", help="go ahead without asking")
        p.add_argument("--json", action="store_true", help="print per bucket tags_before and tags_after as JSON")
        p.add_argument("--simulate", action="store_true", help="use the built-in fake cloud (the demo)")
        p.add_argument("--scenario", help="with --simulate: a scenario file (JSON) instead of the demo one")
        credentials.add_arguments(p)

    return HELP[name], DESCRIPTION[name], add, lambda args: main(name, args)


# -- the change of one bucket's tags ---------------------------------------------------------------
def edit_request(tags: dict, settings, value: str):
    """('write', new tags) or (outcome, reason) without a write."""
    if settings.protect_tag_key in tags:
        return "refused", {"code": "protected", "tag_key": settings.protect_tag_key}
    from ..decide import parse_request_value

    if settings.tag_key in tags and parse_request_value(tags[settings.tag_key]) == parse_request_value(value):
        return "unchanged", {"code": "already_requested", "tag_key": settings.tag_key, "value": value}
    if settings.tag_key in tags:
        # Someone's request (a date, say) is theirs to change: a bulk request never rewrites it.
        return "refused", {"code": "requested_otherwise", "tag_key": settings.tag_key,
                           "value": tags[settings.tag_key], "message": "withdraw it first to request anew"}
    if settings.tag_key not in tags and len(tags) >= MAX_TAGS:
        return "refused", {"code": "tag_limit", "tags": len(tags), "limit": MAX_TAGS,
                           "message": "COS allows at most 50 tags a bucket: remove one first"}
    return "write", {**tags, settings.tag_key: value}


def edit_withdraw(tags: dict, settings):
    if settings.tag_key not in tags:
        return "unchanged", {"code": "not_requested", "tag_key": settings.tag_key}
    return "write", {k: v for k, v in tags.items() if k != settings.tag_key}


def change(ref, edit, reader, writer, done: str) -> dict:
    from ..cloud.cos import Trace
    from ..cloud.errors import ApiError

    trace = Trace()
    out = {"bucket": ref.bucket, "region": ref.region, "outcome": "error", "reasons": [], "tags_before": None,
           "tags_after": None}
    try:
        before = reader.read(ref, trace)
    except ApiError as err:
        out["reasons"] = [err.as_reason()]
        return {**out, "calls": trace.calls}
    out["tags_before"] = out["tags_after"] = before
    verdict, detail = edit(before)
    if verdict != "write":
        return {**out, "outcome": verdict, "reasons": [detail], "calls": trace.calls}
    reasons = []
    try:
        reasons.append({"code": "tags_written", "request_id": writer.write(ref, detail, trace)})
    except ApiError as err:
        reasons.append(err.as_reason())  # the write may still have landed: the read-back says
    try:
        after = reader.read(ref, trace)
    except ApiError as err:
        return {**out, "tags_after": None, "reasons": reasons + [{"code": "unverified"}, err.as_reason()],
                "calls": trace.calls}
    out["tags_after"] = after
    if after == detail and reasons[0]["code"] == "tags_written":
        return {**out, "outcome": done, "reasons": reasons, "calls": trace.calls}
    if after == detail:  # the write answered badly but its tags are there
        return {**out, "outcome": done, "reasons": reasons + [{"code": "verified_by_read"}], "calls": trace.calls}
    if after == before and reasons[0]["code"] != "tags_written":
        return {**out, "reasons": reasons, "calls": trace.calls}  # a failed write that changed nothing
    return {**out, "outcome": "conflict", "calls": trace.calls, "reasons": reasons + [{
        "code": "conflict", "expected": detail,
        "message": "the tags read back are not the ones written: someone else changed them meanwhile"}]}


# -- the command -----------------------------------------------------------------------------------
def _targets(name, args, settings):
    from . import targets

    value = targets.not_before(getattr(args, "not_before", None)) if name == "request" else None
    source = getattr(args, "from_inventory", None)
    if source and args.bucket:
        raise CliError("name buckets with --bucket or --from-inventory, not both")
    if source:
        if args.region:
            raise CliError("--region goes with --bucket")
        refs, members = targets.from_inventory(source)
        if members:
            print(f"note: {members} buckets of member accounts left out: request them with that account's keys",
                  file=sys.stderr)
    elif args.bucket:
        refs = targets.pairs(args.bucket, args.region)
    else:
        raise CliError("name the buckets: --bucket NAME-APPID --region REGION (repeatable)"
                       + (", or --from-inventory FILE" if name == "request" else ""))
    targets.check_owner(refs, settings.appid)
    return refs, value, bool(source)


def main(name: str, args) -> int:
    """0: every bucket has what was asked; 1: some bucket was refused, conflicted or failed."""
    from ..cloud import pacing, tagging
    from ..cloud.cos import CosClients
    from ..report import scrub
    from . import targets
    from .confirm import ask_yes
    from .opsenv import environment, secrets_of

    picked = {}

    def before(settings):
        picked["refs"], picked["value"], picked["file"] = _targets(name, args, settings)
        if not picked["refs"]:
            raise NothingToDo("no bucket in the inventory could be unbound today: nothing to change")

    with environment(args, "read and write buckets' tags", before) as (settings, env, cloud):
        refs, value = picked["refs"], picked["value"]
        if not settings.appid:
            targets.check_owner(refs, targets.own_appid(settings), "CAM GetUserAppId for your keys")
        if not args.simulate and (len(refs) > ASK_ABOVE or picked["file"]):
            what = f"{settings.tag_key}={value}" if name == "request" else f"remove {settings.tag_key}"
            print(f"LIVE {name} on {len(refs)} buckets ({what}, every other tag kept):", file=sys.stderr)
            for ref in refs[:50]:
                print(f"  {ref.bucket} ({ref.region})", file=sys.stderr)
            ask_yes(args.yes, f"{name} on these buckets")
        clients = CosClients(settings.credentials, pool_size=settings.concurrency)
        reader, writer = tagging.TagReader(clients), tagging.TagWriter(clients)
        if name == "request":
            edit, done = (lambda tags: edit_request(tags, settings, value)), "requested"
        else:
            edit, done = (lambda tags: edit_withdraw(tags, settings)), "withdrawn"
        paced = pacing.Pacing(settings.max_rps)
        pacing.begin(paced)
        try:
            with ThreadPoolExecutor(max_workers=max(1, min(settings.concurrency, len(refs)))) as pool:
                results = list(pool.map(lambda ref: change(ref, edit, reader, writer, done), refs))
        finally:
            pacing.end(paced)
    results = scrub(results, secrets_of(env))
    summary = {}
    for r in results:
        summary[r["outcome"]] = summary.get(r["outcome"], 0) + 1
    if args.json:
        print(json.dumps({"buckets": results, "summary": summary}, indent=2, ensure_ascii=False))
    else:
        print("\n".join(_line(r) for r in results))
        print("summary: " + ", ".join(f"{k}: {v}" for k, v in summary.items()))
    return 0 if all(r["outcome"] in OK for r in results) else 1


def _line(r: dict) -> str:
    from .history import reason_text

    reasons = "; ".join(reason_text({k: v for k, v in x.items() if k != "expected"}) for x in r["reasons"]) or "-"
    line = f"{r['bucket']}  {r['region']}  {r['outcome']}  {reasons}"
    if r["outcome"] == "conflict":
        line += f"  (wrote {r['reasons'][-1]['expected']}, read back {r['tags_after']})"
    return line
