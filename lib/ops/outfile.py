"""Files the operator's commands write at their end."""

import os
import tempfile

from .errors import CliError


class OutputFile:
    """The file a command writes at its end (--html, --csv), proven writable before any work: a
    hidden file beside it, renamed over it at the end, so a failed run never leaves half a file.
    Or a one-line reason it cannot be, as `error` (the command's own kind of input error)."""

    def __init__(self, path: str, flag: str, example: str, error=CliError):
        self.path, self.tmp, self.flag, self.error = path, None, flag, error
        if os.path.isdir(path):
            raise error(f"{flag} {path}: is a directory; give a file name such as {path}/{example}")
        if os.path.exists(path) and not os.path.isfile(path):
            # A device or a pipe (/dev/stdout): written in place, never renamed over.
            if not os.access(path, os.W_OK):
                raise error(f"{flag} {path}: not writable")
            return
        folder = os.path.dirname(path) or "."
        if not os.path.isdir(folder):
            raise error(f"{flag} {path}: the folder {folder} does not exist")
        try:
            fd, self.tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".part")
            os.close(fd)
        except OSError as err:
            raise error(f"{flag} {path}: cannot write in {folder}: {err.strerror or err}") from None

    def write(self, text: str) -> None:
        try:
            with open(self.tmp or self.path, "w", encoding="utf-8") as fh:
                fh.write(text)
            if self.tmp:
                os.replace(self.tmp, self.path)
                self.tmp = None
        except OSError as err:
            raise self.error(f"{self.flag} {self.path}: cannot be written: {err.strerror or err}") from None

    def discard(self) -> None:
        if self.tmp:
            try:
                os.remove(self.tmp)
            except OSError:
                pass
