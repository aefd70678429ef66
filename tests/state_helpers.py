"""A state bucket in the fake cloud, and what the tests read back from it."""

import json

from tests.conftest import REGION

STATE_BUCKET = "unbinder-state-1250000000"
PREFIX = "cos-ci-unbinder/"
STATE_ENV = {"CI_UNBIND_STATE_BUCKET": STATE_BUCKET, "CI_UNBIND_STATE_REGION": REGION}


def add_state_bucket(cloud, versioning=None):
    """The state bucket: a plain COS bucket, never bound to CI and never tagged."""
    cloud.add_bucket(STATE_BUCKET, REGION, ci_status="off")
    if versioning == "Suspended":
        cloud.objects.set_versioning(STATE_BUCKET, "Enabled")
    if versioning:
        cloud.objects.set_versioning(STATE_BUCKET, versioning)


def keys(cloud, under=""):
    """The state bucket's keys under PREFIX + under, relative to PREFIX."""
    return [k[len(PREFIX):] for k in cloud.objects.keys(STATE_BUCKET, PREFIX + under)]


def record(cloud, key):
    return json.loads(cloud.objects.get(STATE_BUCKET, PREFIX + key).body)


def clean_bucket(cloud, name):
    cloud.add_bucket(name, REGION, tags={"ci-unbind": "true"})
    return name


def put_record(cloud, key, value):
    """An object in the state bucket, as an earlier run (or an older version) left it."""
    cloud.objects.put(STATE_BUCKET, PREFIX + key, json.dumps(value).encode())
