"""The 'short_page' body fault: a page of a listing that holds less than it claims.

Lists counted by TotalCount lose their items while the count stays; lists paged by a token or
marker (batch jobs, GET Service, GetResources) hand back the token they were asked with, so the
listing never reaches its end. Answers that are not pages are left alone.
"""

import json
import xml.etree.ElementTree as ET

from .wire import XML_DECL, Reply, Request

_COUNTED_LISTS = ("MediaWorkflowList", "MediaBucketList", "PicBucketList", "DocBucketList", "AsrBucketList",
                  "FileBucketList", "AiBucketList", "CIBucketList")


def spoil(reply: Reply, req: Request) -> None:
    if reply.content_type.startswith("application/json"):
        _json_page(reply, req)
        return
    try:
        root = ET.fromstring(reply.body)
    except ET.ParseError:
        return
    if root.tag == "Response" and root.find("TotalCount") is not None:
        for child in [c for c in root if c.tag in _COUNTED_LISTS]:
            root.remove(child)
    elif root.tag == "Response" and req.path == "/inventorytriggerjob":
        token = root.find("NextToken")
        if token is None:
            token = ET.SubElement(root, "NextToken")
        token.text = req.param("nextToken") or "0"
    elif root.tag == "ListAllMyBucketsResult":
        for name, value in (("IsTruncated", "true"), ("NextMarker", req.param("marker") or "a")):
            node = root.find(name)
            if node is None:
                node = ET.SubElement(root, name)
            node.text = value
    else:
        return
    reply.body = (XML_DECL + ET.tostring(root, encoding="unicode")).encode("utf-8")


def _json_page(reply: Reply, req: Request) -> None:
    try:
        body = json.loads(reply.body)
    except ValueError:
        return
    answer = body.get("Response") if isinstance(body, dict) else None
    if not isinstance(answer, dict) or "PaginationToken" not in answer:
        return
    try:
        asked = json.loads(req.body or b"{}").get("PaginationToken") or ""
    except ValueError:
        asked = ""
    answer["PaginationToken"] = asked or "0"
    reply.body = json.dumps(body).encode("utf-8")
