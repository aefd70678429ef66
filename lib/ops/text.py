"""Text a terminal shows as written: a service's message, a workflow's name or a tag value may hold
a newline, a carriage return or an escape sequence, and printed raw it would start a line of its own
(a forged row in a table) or repaint the screen."""

import unicodedata


def printable(value) -> str:
    """`value` as one line: control and format characters (newline, tab, ESC, bidi overrides)
    written as escapes such as \\n, \\x1b, \\u202e."""
    text = str(value)
    if text.isprintable():
        return text
    out = []
    for ch in text:
        category = unicodedata.category(ch)
        if category[0] != "C" and category not in ("Zl", "Zp"):  # spaces stay; line breaks do not
            out.append(ch)
        elif ch in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}")
    return "".join(out)
