"""The digest in each robot's documented message shape, cut to the robot's size limit.

Limits, from each robot's documents (the robots refuse a message over them, so a digest that
would not fit is cut, most urgent buckets kept, and ends "and N more"):

- WeCom group robot, `msgtype: markdown`: `markdown.content` at most 4096 bytes of UTF-8
  (developer.work.weixin.qq.com/document/path/91770; over it the robot answers errcode 40058).
- DingTalk custom robot, `msgtype: markdown` with `title` and `text`: the request body at most
  20000 bytes (open.dingtalk.com/document/orgapp/custom-robot-access; errcode 460101
  "message too long, exceed 20000 bytes").
- Feishu custom bot, `msg_type: interactive` (a card of markdown elements): the request body at most
  20 KB (open.feishu.cn/document/client-docs/bot-v3/add-custom-bot: "请求体的数据大小不能超过 20 KB").
- Slack incoming webhook, `blocks` (api.slack.com/messaging/webhooks,
  api.slack.com/reference/block-kit/blocks): at most 50 blocks, a section's text at most 3000
  characters, a header's at most 150, and the text of all blocks together at most about 12,000
  characters (over it Slack answers `msg_blocks_too_long`, though every block is within its own
  limit); the top-level `text` is the notification's fallback.
- JSON (anything else): the digest itself, our own cap of 64 KB so a receiver is never flooded.
"""

import json
import re
from typing import Callable

from .digest import headline, title
from .quiet import QUIET_SECONDS

WECOM_CONTENT_BYTES = 4096
DINGTALK_BODY_BYTES = 20000
FEISHU_BODY_BYTES = 20 * 1000  # "20 KB": read as the smaller, 1000-byte kilobyte
FEISHU_SIGN_RESERVE = 128  # the timestamp and sign fields the sender adds to the body
SLACK_MAX_BLOCKS = 50
SLACK_SECTION_CHARS = 3000
SLACK_HEADER_CHARS = 150
SLACK_TEXT_CHARS = 12000
JSON_BODY_BYTES = 64 * 1024
LINES_PER_BUCKET = 8

# Characters that would turn a name from the cloud into markdown (a link, emphasis, a WeCom <font>
# tag) become look-alikes: the text still reads the same and cannot change the message.
_MARKDOWN_SAFE = str.maketrans({"[": "［", "]": "］", "<": "‹", ">": "›", "*": "∗", "`": "ʹ", "#": "＃",
                                "|": "¦", "~": "∼"})


_MARKDOWN_SPECIAL = re.compile(r"[\[\]<>*`#|~]")


def md_safe(text: str) -> str:
    text = str(text)
    # Most text has none of them; str.translate is slow enough to matter over thousands of lines.
    return text.translate(_MARKDOWN_SAFE) if _MARKDOWN_SPECIAL.search(text) else text


def slack_safe(text: str) -> str:
    # Slack's three control characters, escaped as its "Formatting text" page says.
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _where(entry: dict) -> str:
    """The bucket's region as a line shows it. A bucket the run could not locate has none (None),
    and is an error a person must see: the digest names it rather than failing to render."""
    return str(entry.get("region") or "region unknown")


def _name(entry: dict) -> str:
    return str(entry.get("bucket") or "?")


def _body_bytes(payload: dict) -> int:
    return len(json.dumps(payload, ensure_ascii=False).encode("utf-8"))


def _lines(entry: dict) -> tuple[list, int]:
    lines = entry["lines"]
    return lines[:LINES_PER_BUCKET], max(len(lines) - LINES_PER_BUCKET, 0)


def _more(digest: dict, omitted: int) -> str:
    parts = []
    if omitted:
        parts.append(f"and {omitted} more bucket{'s' if omitted != 1 else ''}: see the run's report")
    if digest.get("unchanged"):
        n = digest["unchanged"]
        parts.append(f"{n} bucket{'s' if n != 1 else ''} unchanged since the last digest, not repeated")
    if digest.get("suppressed"):
        n = digest["suppressed"]
        parts.append(f"{n} more digest{'s' if n != 1 else ''} like this held back since the last one sent "
                     f"(at most one every {QUIET_SECONDS / 60:.0f} minutes)")
    return "; ".join(parts)


def _counts(digest: dict) -> str:
    text = " · ".join(f"{outcome.replace('_', ' ')} {n}" for outcome, n in digest["summary"].items())
    if digest.get("heads_up"):
        text += f" · heads-up {digest['heads_up']}"
    return text or "no buckets"


def _error_line(digest: dict) -> str:
    error = digest.get("error")
    return f"run error {error['code']}: {error['text']}" if error else ""


# -- markdown for WeCom, DingTalk and Feishu ----------------------------------------------------

def _markdown(digest: dict, entries: list, omitted: int, flavour: str) -> str:
    """flavour: 'wecom' (colour tags, '\\n' breaks), 'dingtalk' (blank-line paragraphs), 'feishu'."""
    brk = "\n\n" if flavour == "dingtalk" else "\n"
    out = []
    if flavour != "feishu":  # a Feishu card shows the headline in its own header
        out.append(f"### {md_safe(title(digest))}")
    # Feishu's card markdown has no quote; a bullet is plain text there (WeCom and DingTalk
    # document `>` quotes, DingTalk `-` lists as well).
    out.append(_counts(digest) if flavour == "feishu" else f"> {_counts(digest)}")
    if digest.get("error"):
        warn = md_safe(_error_line(digest))
        out.append(f'<font color="warning">{warn}</font>' if flavour == "wecom" else f"**{warn}**")
    for entry in entries:
        status = md_safe(entry["status"])
        if entry["outcome"] in ("error", "refused", "blocked") or entry["heads_up"]:
            status = f'<font color="warning">{status}</font>' if flavour == "wecom" else f"**{status}**"
        out.append(f"**{md_safe(_name(entry))}** ({md_safe(_where(entry))}) · {status}")
        shown, hidden = _lines(entry)
        for line in shown:
            text = md_safe(line["text"])
            if line["link"]:
                text += f" · [{md_safe(line['link']['label'])}]({line['link']['url']})"
            out.append(f"{_BULLET[flavour]}{text}")
        if hidden:
            out.append(f"{_BULLET[flavour]}… and {hidden} more")
    more = _more(digest, omitted)
    if more:
        out.append(md_safe(more))
    out.append(f"run id {md_safe(digest.get('run_id') or '-')}")
    return brk.join(out)


_BULLET = {"wecom": "> ", "dingtalk": "- ", "feishu": "• "}


def wecom(digest: dict, entries: list, omitted: int) -> dict:
    return {"msgtype": "markdown", "markdown": {"content": _markdown(digest, entries, omitted, "wecom")}}


def dingtalk(digest: dict, entries: list, omitted: int) -> dict:
    # The title is what the chat list shows; a robot with keyword security needs the keyword in
    # the message, and the title always has "cos-ci-unbinder".
    return {"msgtype": "markdown", "markdown": {"title": md_safe(headline(digest))[:100],
                                                "text": _markdown(digest, entries, omitted, "dingtalk")}}


def feishu(digest: dict, entries: list, omitted: int) -> dict:
    template = "red" if digest.get("ok") is False or any(
        e["outcome"] in ("error", "refused") for e in entries) else (
        "orange" if any(e["outcome"] == "blocked" or e["heads_up"] for e in entries) else "green")
    return {"msg_type": "interactive", "card": {
        "config": {"wide_screen_mode": True},
        "header": {"title": {"tag": "plain_text", "content": headline(digest)[:100]}, "template": template},
        "elements": [{"tag": "markdown", "content": _markdown(digest, entries, omitted, "feishu")}],
    }}


# -- Slack blocks ------------------------------------------------------------------------------

def _slack_section(entry: dict) -> dict:
    out = [f"*{slack_safe(_name(entry))}* ({slack_safe(_where(entry))}) · *{slack_safe(entry['status'])}*"]
    shown, hidden = _lines(entry)
    for line in shown:
        text = f"• {slack_safe(line['text'])}"
        if line["link"]:
            text += f" · <{line['link']['url']}|{slack_safe(line['link']['label'])}>"
        out.append(text)
    if hidden:
        out.append(f"• … and {hidden} more")
    text = "\n".join(out)
    if len(text) > SLACK_SECTION_CHARS:
        text = text[: SLACK_SECTION_CHARS - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def slack(digest: dict, entries: list, omitted: int) -> dict:
    title = headline(digest)
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": title[:SLACK_HEADER_CHARS]}},
              {"type": "context", "elements": [{"type": "mrkdwn", "text": slack_safe(_counts(digest))}]}]
    if digest.get("error"):
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": f"*{slack_safe(_error_line(digest))[:2900]}*"}})
    blocks += [_slack_section(e) for e in entries]
    tail = _more(digest, omitted)
    tail = f"{tail} · run id {digest.get('run_id')}" if tail else f"run id {digest.get('run_id')}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": slack_safe(tail)}]})
    return {"text": slack_safe(title), "blocks": blocks}


def slack_text_chars(payload: dict) -> int:
    """The characters of every text field of every block: a header's or section's text, and each
    element of a context."""
    total = 0
    for block in payload["blocks"]:
        for part in [block.get("text")] + list(block.get("elements") or []):
            if isinstance(part, dict):
                total += len(part.get("text") or "")
    return total


def as_json(digest: dict, entries: list, omitted: int) -> dict:
    return {**digest, "buckets": entries, "omitted": omitted}


# -- fitting -----------------------------------------------------------------------------------

RENDER: dict = {"wecom": wecom, "dingtalk": dingtalk, "feishu": feishu, "slack": slack, "json": as_json}


def fits(fmt: str, payload: dict) -> bool:
    """Whether a payload is within the robot's documented limits."""
    if fmt == "wecom":
        return len(payload["markdown"]["content"].encode("utf-8")) <= WECOM_CONTENT_BYTES
    if fmt == "dingtalk":
        return _body_bytes(payload) <= DINGTALK_BODY_BYTES
    if fmt == "feishu":
        return _body_bytes(payload) + FEISHU_SIGN_RESERVE <= FEISHU_BODY_BYTES
    if fmt == "slack":
        return len(payload["blocks"]) <= SLACK_MAX_BLOCKS and slack_text_chars(payload) <= SLACK_TEXT_CHARS
    return _body_bytes(payload) <= JSON_BODY_BYTES


_BYTE_LIMITS = {"wecom": WECOM_CONTENT_BYTES, "dingtalk": DINGTALK_BODY_BYTES, "feishu": FEISHU_BODY_BYTES,
                "json": JSON_BODY_BYTES}


def _at_most(fmt: str, entries: list) -> int:
    """How many entries could possibly fit: each costs at least its name and region (twice in
    JSON, where the console URL repeats them), a Slack section one block."""
    if fmt == "slack":
        return min(len(entries), SLACK_MAX_BLOCKS)
    budget, times = _BYTE_LIMITS[fmt], 2 if fmt == "json" else 1
    for count, entry in enumerate(entries):
        budget -= times * (len(_name(entry)) + len(_where(entry)))
        if budget < 0:
            return count
    return len(entries)


def render(fmt: str, digest: dict) -> tuple[dict, int]:
    """(payload, buckets left out): the most urgent buckets that fit, and "and N more" for the rest.

    More buckets never make a message smaller, so the count that fits is found by bisection, and
    only among the counts that could fit at all: a digest of thousands of buckets is rendered a
    dozen times, each time small.
    """
    make: Callable = RENDER[fmt]
    entries = digest["buckets"]
    total = len(entries) + digest.get("omitted", 0)  # with those never described
    high = _at_most(fmt, entries)
    if high == len(entries):
        payload = make(digest, entries, total - high)
        if fits(fmt, payload):
            return payload, total - high
        high -= 1
    low = 0  # `low` buckets fit (`best`); more than `high` do not
    best = make(digest, [], total)
    if not fits(fmt, best):
        raise ValueError(f"even an empty {fmt} digest is over the robot's limit")
    while low < high:
        mid = (low + high + 1) // 2
        candidate = make(digest, entries[:mid], total - mid)
        if fits(fmt, candidate):
            low, best = mid, candidate
        else:
            high = mid - 1
    return best, total - low
