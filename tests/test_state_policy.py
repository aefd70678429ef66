"""setup-role's policy: the state bucket's statements written in for the bucket, or left out."""

import json

import pytest

from lib.ops.eventbridge import SetupError
from lib.ops.roles import RoleOptions, policy_document


def _resources(document):
    return [r for st in json.loads(document)["statement"] for r in st["resource"]]


def test_without_a_state_bucket_its_statements_are_left_out():
    document = policy_document("1250000000")
    assert "<STATE_BUCKET>" not in document and "<APPID>" not in document
    actions = {a for st in json.loads(document)["statement"] for a in st["action"]}
    assert not actions & {"name/cos:PutObject", "name/cos:GetObject", "name/cos:GetBucket"}


def test_with_a_state_bucket_they_name_it_and_its_prefix():
    document = policy_document("1250000000", state_bucket="state-1250000000", state_prefix="ops/unbinder/")
    resources = _resources(document)
    assert "qcs::cos::uid/1250000000:state-1250000000/ops/unbinder/*" in resources
    assert "qcs::cos::uid/1250000000:state-1250000000/*" in resources
    assert "<" not in document


@pytest.mark.parametrize("options", [RoleOptions(state_bucket="Bad_Bucket"), RoleOptions(state_prefix="/x/"),
                                     RoleOptions(state_prefix="a/../")])
def test_bad_state_options_are_refused(options):
    with pytest.raises(SetupError):
        options.validate()
