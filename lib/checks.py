"""Gathering the facts the decision asks for: live tags, CI status and every blocker."""

import threading
from collections import defaultdict
from collections.abc import Sequence
from typing import Union

from . import regions
from .buckets import BucketRef
from .ci import BATCH_TYPES, CIClient, job_blocks, query_groups
from .cosapi import Trace
from .decide import NEED_BLOCKERS, NEED_STATUS, NEED_TAGS, Facts
from .errors import ApiError
from .tags import TagReader


class ServiceIndex:
    """Enabled CI services for the run's buckets, asked per region for as many buckets as one
    request's query holds (`ci.query_groups`). A service the region does not offer (`regions`) is not
    asked about there; `not_offered` says which, once per region.

    The first bucket of a group that needs the answer fetches it for the whole group; the others
    wait for it and read it. A failed fetch is the answer for every bucket of the group (each then
    ends in `error`), and is not retried by the others.
    """

    def __init__(self, ci: CIClient, refs: Sequence[BucketRef], services: Sequence[str]):
        self._ci = ci
        self._services = sorted(services)
        self._group_of: dict[BucketRef, tuple[str, int]] = {}
        self._members: dict[tuple[str, int], list[str]] = {}
        by_region: dict[str, list[str]] = defaultdict(list)
        for ref in dict.fromkeys(refs):
            by_region[ref.region].append(ref.bucket)
        self.not_offered: dict[str, list[str]] = {}
        for region, names in by_region.items():
            skipped = regions.not_offered(self._services, region)
            if skipped:
                self.not_offered[region] = skipped
            for index, group in enumerate(query_groups(region, names)):
                key = (region, index)
                self._members[key] = group
                for name in group:
                    self._group_of[BucketRef(region=region, bucket=name)] = key
        self._lock = threading.Lock()
        self._locks: dict[tuple, threading.Lock] = {}
        self._answers: dict[tuple, tuple[Union[set[str], ApiError], list]] = {}

    def _answer(self, key, service):
        with self._lock:
            lock = self._locks.setdefault((key, service), threading.Lock())
        with lock:
            if (key, service) not in self._answers:
                trace = Trace()
                try:
                    value = self._ci.enabled_services(key[0], self._members[key], service, trace)
                except ApiError as err:
                    value = err
                self._answers[(key, service)] = (value, trace.calls)
            return self._answers[(key, service)]

    def check(self, ref: BucketRef, trace: Trace) -> tuple[list[str], list[ApiError]]:
        with self._lock:
            key = self._group_of.get(ref)
            if key is None:  # a bucket the run did not announce: a group of its own
                key = (ref.region, ref.bucket)
                self._group_of[ref] = key
                self._members[key] = [ref.bucket]
        enabled, errors = [], []
        for service in self._services:
            if regions.offered(service, ref.region) is False:
                continue  # nothing to be enabled where the service does not exist
            value, calls = self._answer(key, service)
            for call in calls:
                trace.add(call["api"], call["request_id"], call["http_status"], shared=True)
            if isinstance(value, ApiError):
                errors.append(value)
            elif ref.bucket in value:
                enabled.append(service)
        return enabled, errors


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
        found, errors = [], []
        try:
            for wf in self.ci.workflows(ref, trace):
                found.append({"code": "workflow", "id": wf.id, "name": wf.name, "state": wf.state})
        except ApiError as err:
            errors.append(err)
        for job_type in BATCH_TYPES:
            try:
                for job in self.ci.batch_jobs(ref, job_type, trace):
                    if job_blocks(job):
                        found.append({"code": "batch_job", "id": job.id, "name": job.name,
                                      "type": job.type or job_type, "state": job.state})
            except ApiError as err:
                errors.append(err)
        services, service_errors = self._services.check(ref, trace)
        found.extend({"code": "service_enabled", "service": name} for name in services)
        errors.extend(service_errors)
        return found, errors
