"""The one error an operator command raises when it cannot start (one line, exit code 2), and the
word that it has nothing to do."""

START_FAILED = 2


class CliError(Exception):
    """Bad arguments, a bad input file, bad settings, no credentials, or a refusal to go on.

    The message is the whole of what is printed: one line saying what is wrong and, where it
    helps, what to do. Nothing has been changed when it is raised."""

    code = START_FAILED


class NothingToDo(Exception):
    """The command's own input leaves nothing to do: its message goes to stdout, the exit code is 0,
    and no key was looked for and no call made."""


def json_problem(err: Exception) -> str:
    """Why JSON could not be read, in the reader's words (Python 3.11 refuses a number of more than
    4300 digits with advice about its own internals)."""
    if "integer string conversion" in str(err):
        return "a number with more than 4300 digits"
    return str(err)


def one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
