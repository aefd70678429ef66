"""Bad input to the campaign commands: one line on stderr, exit 2, and not one request sent."""

import pytest

from lib.buckets import BucketRef
from lib.cloud.ci import CIClient
from lib.cloud.cos import NO_RETRY, CosClients, Trace
from lib.cloud.errors import ApiError
from lib.ops.cli import main
from lib.settings import Credentials
from tests.conftest import REGION, SECRET_ID

CLEAN = "demo-clean-1250000000"


@pytest.mark.parametrize("argv, says", [
    (["rebind", "--run", "r1"], "--run reads the state bucket's history"),
    (["rebind", "--run", "r1", "--bucket", CLEAN, "--region", REGION], "not both"),
    (["rebind"], "name the buckets"),
    (["rebind", "--bucket", CLEAN, "--bucket", "demo-x-1250000000", "--region", REGION, "--region", REGION,
      "--region", REGION], "one --region per --bucket"),
    (["rebind", "--bucket", f"{CLEAN}.evil.example/x", "--region", REGION], "invalid bucket name"),
    (["request", "--from-inventory", "no/such/file.json"], "no such file"),
    (["request", "--from-inventory", "events/manual.json"], "not the output of `inventory --json`"),
    (["withdraw", "--bucket", CLEAN, "--region", REGION, "--not-before", "2027-01-01"], "unrecognized arguments"),
    (["request", "--bucket", CLEAN, "--region", REGION, "--not-before", "2027-1-5"], "YYYY-MM-DD"),
    (["inventory", "--json", "--csv", "x.csv"], "not allowed with argument"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_sent(opcloud, capsys, argv, says):
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse's own refusals end here, with the same code
        code = stop.code
    assert code == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and says in err
    assert opcloud.calls == []


def test_the_fake_checks_the_binding_calls_signature(opcloud):
    ci = CIClient(CosClients(Credentials(SECRET_ID, "not-the-secret-key")), NO_RETRY)
    with pytest.raises(ApiError) as err:
        ci.bind(BucketRef(region="ap-beijing", bucket="demo-not-bound-1250000000"), Trace())
    assert err.value.http_status == 403 and err.value.api == "PUT / (bind)"
    assert opcloud.bucket("demo-not-bound-1250000000").ci_status == "off"
