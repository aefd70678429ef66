"""SCF entry point: main_handler(event, context) -> the report (see DESIGN.md, Report)."""

from lib import run

# Read and validated once per container; an invalid setting is reported on every invocation.
SETTINGS = run.cold_start()


def main_handler(event, context):
    return run.handle(event, context, SETTINGS)
