"""What `--simulate` runs with: fake keys, and a state bucket in the fake cloud so that the demo
keeps history as a deployment does."""

SIM_CREDENTIALS = {"TENCENTCLOUD_SECRETID": "AKIDSIMULATEDEXAMPLE", "TENCENTCLOUD_SECRETKEY": "simulated-secret-key"}
SIM_STATE_BUCKET = "cos-ci-unbinder-state-1250000000"
SIM_REGION = "ap-guangzhou"
SIM_UIN = "100000000001"  # the fake cloud's account ID
SIM_STATE_ENV = {"CI_UNBIND_STATE_BUCKET": SIM_STATE_BUCKET, "CI_UNBIND_STATE_REGION": SIM_REGION}


def simulated_state(cloud) -> dict:
    """A state bucket in the fake cloud (never bound, never tagged), and the settings naming it."""
    if cloud.account.bucket(SIM_STATE_BUCKET) is None:
        cloud.add_bucket(SIM_STATE_BUCKET, SIM_REGION, ci_status="off")
    return dict(SIM_STATE_ENV)
