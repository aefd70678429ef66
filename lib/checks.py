"""Gathering the facts the decision asks for: live tags, CI status and every blocker."""

import threading
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Optional

from .buckets import BucketRef
from .cloud import regions
from .cloud.ci import BATCH_TYPES, CIClient, job_blocks, query_groups
from .cloud.cos import Trace
from .cloud.errors import ApiError
from .cloud.tagging import TagReader
from .decide import NEED_BLOCKERS, NEED_STATUS, NEED_TAGS, Facts


class ServiceIndex:
    """Enabled CI services for the run's buckets, asked per region for as many buckets as one
    request's query holds (`ci.query_groups`). Every service is asked about in every region, even
    where `regions` says it is not offered there: the table could be wrong, and an answer is used
    as any other (a listed bucket is blocked). Only there, a list that fails without any answer
    means the service is not offered: it blocks nothing, and `not_offered` names it, once per
    region, with the failing call (read it once the lists are done). Anywhere else a failed list is an error for its buckets.

    The first bucket of a group that comes to need the answer starts every list of its group at
    once, on a small pool of their own, and goes on with its own checks (workflows, batch jobs)
    meanwhile; it and the rest of the group then wait only for what is still in flight. (Fetched
    one after another by that first bucket, six lists kept the whole group waiting six round
    trips: a convoy.) Nothing is fetched for a group whose buckets never need blockers. A failed
    fetch is the answer for every bucket of the group (each then ends in `error`), and is not
    retried by the others. Use as a context manager, or close() it: that ends its pool.
    """

    def __init__(self, ci: CIClient, refs: Sequence[BucketRef], services: Sequence[str]):
        self._ci = ci
        self._services = sorted(services)
        self._group_of: dict[BucketRef, tuple[str, int]] = {}
        self._members: dict[tuple[str, int], list[str]] = {}
        by_region: dict[str, list[str]] = defaultdict(list)
        for ref in dict.fromkeys(refs):
            by_region[ref.region].append(ref.bucket)
        # region -> service -> the failing call, for the services found not offered (see above).
        self._not_offered: dict[str, dict[str, dict]] = {}
        for region, names in by_region.items():
            for index, group in enumerate(query_groups(region, names)):
                key = (region, index)
                self._members[key] = group
                for name in group:
                    self._group_of[BucketRef(region=region, bucket=name)] = key
        self._lock = threading.Lock()
        self._answers: dict[tuple, Future] = {}
        self._pool: Optional[ThreadPoolExecutor] = None
        if self._services:
            self._pool = ThreadPoolExecutor(max_workers=len(self._services), thread_name_prefix="service-lists")

    def __enter__(self) -> "ServiceIndex":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def _fetch(self, key, service):
        trace = Trace()
        try:
            value = self._ci.enabled_services(key[0], self._members[key], service, trace)
        except ApiError as err:
            value = err
        return value, trace.calls

    def _key(self, ref: BucketRef):
        with self._lock:
            key = self._group_of.get(ref)
            if key is None:  # a bucket the run did not announce: a group of its own
                key = (ref.region, ref.bucket)
                self._group_of[ref] = key
                self._members[key] = [ref.bucket]
            return key

    def prefetch(self, ref: BucketRef) -> list[tuple[str, Future]]:
        """Start the lists of ref's group, unless they are started already: (service, future) for
        each service."""
        key = self._key(ref)
        futures = []
        with self._lock:
            for service in self._services:
                future = self._answers.get((key, service))
                if future is None:
                    future = self._pool.submit(self._fetch, key, service)
                    self._answers[(key, service)] = future
                futures.append((service, future))
        return futures

    def check(self, ref: BucketRef, trace: Trace) -> tuple[list[str], list[ApiError]]:
        enabled, errors = [], []
        for service, future in self.prefetch(ref):
            value, calls = future.result()
            for call in calls:
                trace.add(call["api"], call["request_id"], call["http_status"], shared=True)
            if isinstance(value, ApiError):
                if self._absent(ref.region, service, value, calls):
                    continue
                errors.append(value)
            elif ref.bucket in value:
                enabled.append(service)
        return enabled, errors

    def not_offered(self) -> dict[str, dict[str, dict]]:
        """region -> service -> the failing call, for each service found not offered, sorted."""
        with self._lock:
            return {region: dict(sorted(found.items())) for region, found in sorted(self._not_offered.items())}

    def _absent(self, region: str, service: str, err: ApiError, calls: list[dict]) -> bool:
        """A failed list of a service the table says `region` lacks, with no page answered: taken
        as not offered, and recorded. Where the table says offered, or does not know the region,
        or any page answered, the failure stays an error (fail closed)."""
        if regions.offered(service, region) is not False:
            return False
        if any(c["http_status"] is not None and 200 <= c["http_status"] < 300 for c in calls):
            return False
        with self._lock:
            self._not_offered.setdefault(region, {}).setdefault(service, {
                "api": err.api, "http_status": err.http_status, "service_code": err.code,
                "request_id": err.request_id})
        return True


class Checker:
    def __init__(self, ci: CIClient, tags: TagReader, services: ServiceIndex):
        self.ci = ci
        self._tags = tags
        self._services = services

    def gather(self, need: str, facts: Facts, trace: Trace) -> None:
        ref = facts.ref
        if need == NEED_TAGS:
            try:
                facts.tags = self._tags.read(ref, trace)
            except ApiError as err:
                facts.tags_error = err
        elif need == NEED_STATUS:
            try:
                facts.status = self.ci.status(ref, trace)
            except ApiError as err:
                facts.status_error = err
        elif need == NEED_BLOCKERS:
            facts.blockers, facts.check_errors = self.blockers(ref, trace)
        else:
            raise ValueError(f"cannot gather {need!r}")

    def blockers(self, ref: BucketRef, trace: Trace) -> tuple[list, list[ApiError]]:
        """Every blocker that can be seen, and every check that could not be made."""
        self._services.prefetch(ref)  # the group's lists travel while this bucket's own checks do
        found, errors = [], []
        # Each blocker names the request id of the listing that showed it (its first page): the id a
        # person quotes to support. The report keeps a blocked bucket's reasons, not its calls.
        try:
            mark = len(trace.calls)
            workflows = self.ci.workflows(ref, trace)
            shown_by = _first_request_id(trace, mark)
            for wf in workflows:
                found.append({"code": "workflow", "id": wf.id, "name": wf.name, "state": wf.state,
                              "request_id": shown_by})
        except ApiError as err:
            errors.append(err)
        for job_type in BATCH_TYPES:
            try:
                mark = len(trace.calls)
                jobs = self.ci.batch_jobs(ref, job_type, trace)
                shown_by = _first_request_id(trace, mark)
                for job in jobs:
                    if job_blocks(job):
                        found.append({"code": "batch_job", "id": job.id, "name": job.name,
                                      "type": job.type or job_type, "state": job.state, "request_id": shown_by})
            except ApiError as err:
                errors.append(err)
        services, service_errors = self._services.check(ref, trace)
        found.extend({"code": "service_enabled", "service": name} for name in services)
        errors.extend(service_errors)
        return found, errors


def _first_request_id(trace: Trace, mark: int) -> str:
    calls = trace.calls[mark:mark + 1]
    return calls[0]["request_id"] if calls else ""
