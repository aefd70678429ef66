"""cos-ci-unbinder: the operator's command line (also `python -m lib`).

One function per subcommand (`cmd_<name>`), each given the parsed arguments and returning the
exit code; `main` parses and dispatches. Whatever goes wrong before a run starts is one line on
stderr and exit code 2, never a traceback.
"""

import argparse
import os
import sys

from .. import __version__
from . import credentials, deploy_cmds
from .errors import START_FAILED, CliError, NothingToDo, one_line

PROG = "cos-ci-unbinder"
EXIT_CODES = """exit codes:
  0  the run finished and nothing needs a person
  1  the run finished and some bucket needs a person (blocked, refused, error) or the report is not ok;
     for validate, setup-role, setup-eventbridge and teardown: something is wrong or a call failed
  2  the run could not start: bad arguments, a bad input file, bad settings, no credentials, or a
     live run that was not confirmed"""


# --- subcommands ---------------------------------------------------------------------------------


def cmd_invoke(args) -> int:
    from .invoking import invoke

    return invoke(args)


def cmd_generate_event(args) -> int:
    import json

    from .sample_events import DEFAULT_BUCKET, DEFAULT_REGION, generate

    # A flag the kind has no use for is refused rather than dropped: the user meant something by it.
    if args.kind == "timer" and (args.bucket or args.region):
        raise CliError("a timer event names no bucket: it sweeps every tagged one (drop --bucket/--region)")
    if args.dry_run and args.kind != "manual":
        raise CliError(f"--dry-run goes in a manual event only; a {args.kind} event cannot ask for one "
                       "(the function's CI_UNBIND_DRY_RUN decides)")
    print(json.dumps(generate(args.kind, args.bucket or DEFAULT_BUCKET, args.region or DEFAULT_REGION,
                              dry_run=args.dry_run), indent=2))
    return 0


def cmd_validate(args) -> int:
    from .validate import read_env_file, validate

    env, source = (read_env_file(args.env_file), args.env_file) if args.env_file else (dict(os.environ),
                                                                                       "environment")
    findings = validate(env, source)
    print("\n".join(findings.lines()))
    return 1 if findings.problems else 0


def cmd_history(args) -> int:
    from . import history_cmd

    return history_cmd.main(args)


# --- arguments -----------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line (the usage is one --help away)."""

    def error(self, message):
        self.exit(START_FAILED, f"{self.prog}: {message} (see {self.prog} --help)\n")


# SCF's longest timeout (asynchronous execution); a larger limit would be a budget no run has.
MAX_TIME_LIMIT = 86400


def _positive(text: str) -> int:
    digits = text.strip()
    if digits.startswith("-") and digits[1:].isdigit():
        raise argparse.ArgumentTypeError(f"must be positive, not {one_line(digits, 24)}")
    if not digits.isdigit() or not digits.isascii():
        raise argparse.ArgumentTypeError(f"not a whole number of seconds: {one_line(text, 40)}")
    if len(digits) > 6 or int(digits) > MAX_TIME_LIMIT:
        raise argparse.ArgumentTypeError(f"at most {MAX_TIME_LIMIT} seconds (SCF's longest timeout), not "
                                         f"{one_line(digits, 24)}")
    value = int(digits)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {value}")
    return value


def parser() -> argparse.ArgumentParser:
    top = _Parser(prog=PROG, description=__doc__.split("\n\n")[0], epilog=EXIT_CODES,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, func, help, description=None):
        p = sub.add_parser(name, help=help, description=description or help, epilog=EXIT_CODES,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(func=func)
        return p

    p = command("invoke", cmd_invoke, "run an event through the function's own path",
                "Run an event (a file, or buckets named with --bucket/--region) through the function's path. "
                "Dry run unless --apply. A live run on a sweep or on more than 5 buckets lists them and asks "
                "for yes (--yes for scripts).")
    p.add_argument("event", nargs="?", help="an event file, e.g. events/manual.json; - reads standard input")
    p.add_argument("--bucket", action="append", metavar="NAME-APPID", help="a bucket to act on (repeatable)")
    p.add_argument("--region", action="append", help="its region: once for all buckets, or once per --bucket")
    p.add_argument("--simulate", action="store_true", help="use the built-in fake cloud, not Tencent Cloud")
    p.add_argument("--scenario", help="with --simulate: a scenario file (JSON) instead of the demo one")
    p.add_argument("--apply", action="store_true", help="really unbind (default: dry run)")
    p.add_argument("--yes", action="store_true", help="with --apply: go ahead without asking")
    p.add_argument("--json", action="store_true", help="print the whole report as JSON")
    p.add_argument("--logs", action="store_true", help="also write the function's JSON log lines to stderr")
    p.add_argument("--time-limit", type=_positive, default=900, help="seconds, as the function's timeout (900)")
    credentials.add_arguments(p)

    p = command("generate-event", cmd_generate_event, "print a sample event for a bucket")
    from .sample_events import DEFAULT_BUCKET, DEFAULT_REGION, KINDS

    p.add_argument("kind", choices=KINDS)
    p.add_argument("--bucket", help=f"NAME-APPID ({DEFAULT_BUCKET}); not for timer")
    p.add_argument("--region", help=f"({DEFAULT_REGION}); not for timer")
    p.add_argument("--dry-run", action="store_true", help="manual: ask for a dry run in the event")

    p = command("validate", cmd_validate, "check the settings, serverless.yml and the CAM policy, offline")
    p.add_argument("--env-file", help="read the settings from this NAME=VALUE file instead of the environment")

    deploy_cmds.add_commands(command)

    from . import doctor

    doctor.add_arguments(command("doctor", doctor.main, doctor.HELP, doctor.__doc__.split("\n\n")[0]))

    from . import history_cmd

    history_cmd.add_arguments(command("history", cmd_history, history_cmd.HELP, history_cmd.DESCRIPTION))
    from . import campaign

    campaign.register(command)
    return top


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "scenario", None) and not args.simulate:
        print(f"{PROG}: --scenario goes with --simulate", file=sys.stderr)
        return START_FAILED
    try:
        return args.func(args)
    except CliError as err:  # it may quote a service's message, and a service's message anything
        print(credentials.scrubbed(f"{PROG}: {err}"), file=sys.stderr)
        return err.code
    except NothingToDo as done:
        print(done)
        return 0
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return closed_pipe()
    except Exception as exc:  # a fault of ours: one line, not a traceback; the run's report says the rest
        print(credentials.scrubbed(one_line(f"{PROG}: internal error: {type(exc).__name__}: {exc} (please report it)")),
              file=sys.stderr)
        return 1


# The reader went away (`| head`): what it did not read is not an error to report, as for any
# Unix tool; the status is the one a shell gives a command that SIGPIPE ended.
PIPE_CLOSED = 141


def closed_pipe() -> int:
    try:  # the interpreter flushes stdout on exit, which would raise again: point it at nothing
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (a test's capture): nothing will be flushed to a pipe
    return PIPE_CLOSED


def run() -> None:
    """The console script's entry point."""
    code = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = closed_pipe()
    sys.exit(code)
