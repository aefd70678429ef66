"""The one error an operator command raises when it cannot start: one line, exit code 2."""

START_FAILED = 2


class CliError(Exception):
    """Bad arguments, a bad input file, bad settings, no credentials, or a refusal to go on.

    The message is the whole of what is printed: one line saying what is wrong and, where it
    helps, what to do. Nothing has been changed when it is raised."""

    code = START_FAILED


def one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
