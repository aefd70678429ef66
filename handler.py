"""SCF entry point: main_handler(event, context) -> the report (docs/design.md#the-report)."""

from lib import invocation
from lib.cloud import cam as account

# Read and validated once per container; an invalid setting is reported on every invocation.
SETTINGS = invocation.cold_start()
# The account's APPID, when SCF does not inject it: asked of CAM once per container.
IDENTITY = account.Identity()


def main_handler(event, context):
    return invocation.handle(event, context, SETTINGS, identity=IDENTITY)
