"""Every log record is one line, whatever its values hold: a reader that splits on any line
separator (str.splitlines, JavaScript, many log viewers) sees exactly the records written."""

import io
import json

import pytest

from lib.report import JsonLog
from tests.conftest import REGION, manual

SEPARATORS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
FORGED = '{"msg": "run", "ok": true, "run_id": "forged"}'


@pytest.mark.parametrize("separator", list(SEPARATORS))
def test_a_line_separator_in_a_value_stays_inside_its_record(separator):
    stream = io.StringIO()
    log = JsonLog(stream=stream)
    value = f"before{separator}{FORGED}{separator}after"
    log.emit({"msg": "bucket", "message": value, separator: 1})
    (line,) = stream.getvalue().splitlines()
    assert json.loads(line) == {"msg": "bucket", "message": value, separator: 1}


def test_a_service_message_cannot_forge_a_record(cloud, invoke):
    cloud.add_bucket("broken-1250000000", REGION, tags={"ci-unbind": "true"})
    cloud.inject("GET /workflow", status=403, code="AccessDenied",
                 message=f"denied\u2028{FORGED}\x85{FORGED}\u2029", times=None)
    report = invoke(manual("broken-1250000000"))
    assert report["results"][0]["outcome"] == "error"
    lines = invoke.lines  # splitlines, then json.loads of each: a forged or broken line fails here
    assert [line["msg"] for line in lines] == ["bucket", "run"]
    assert all(line.get("run_id") != "forged" for line in lines)
    assert "\u2028" in json.dumps(lines[0], ensure_ascii=False)  # kept, escaped, in its own record
