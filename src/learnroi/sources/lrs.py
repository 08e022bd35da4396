"""Pull statements from an LRS's statements resource (xAPI 1.0.3 §7.2.3): ``since``, ``more`` paging.

Credentials come from ``LEARNROI_LRS_USER`` / ``LEARNROI_LRS_PASSWORD`` (HTTP basic auth). Written with
the standard library's ``urllib`` (no extra dependency; the protocol is a GET and a link to follow).
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

from learnroi.core.errors import DataError, EnvironmentProblem

XAPI_VERSION = "1.0.3"


@dataclass(frozen=True)
class Page:
    """One page of statements and the ``more`` URL to fetch next ('' when done)."""

    url: str
    statements: list[str]
    more: str


def _auth_header() -> str | None:
    user, password = os.environ.get("LEARNROI_LRS_USER"), os.environ.get("LEARNROI_LRS_PASSWORD")
    if not user:
        return None
    token = base64.b64encode(f"{user}:{password or ''}".encode()).decode("ascii")
    return f"Basic {token}"


def first_url(url: str, since: str | None) -> str:
    if not since:
        return url
    sep = "&" if urllib.parse.urlsplit(url).query else "?"
    return f"{url}{sep}{urllib.parse.urlencode({'since': since, 'ascending': 'true'})}"


def fetch_page(url: str, timeout: float = 60.0) -> Page:
    """GET one statements page; raise a learnroi error with a hint on any failure."""
    req = urllib.request.Request(
        url, headers={"X-Experience-API-Version": XAPI_VERSION, "Accept": "application/json"}
    )
    auth = _auth_header()
    if auth:
        req.add_header("Authorization", auth)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
    except urllib.error.HTTPError as exc:
        exc.close()  # the error carries the open response
        hint = (
            "Set LEARNROI_LRS_USER and LEARNROI_LRS_PASSWORD to the LRS's key and secret."
            if exc.code in (401, 403)
            else "Check the URL points at the LRS's statements resource (…/xAPI/statements)."
        )
        raise EnvironmentProblem(
            f"the LRS answered HTTP {exc.code} {exc.reason}", where=url, hint=hint
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise EnvironmentProblem(
            f"cannot reach the LRS: {getattr(exc, 'reason', exc)}",
            where=url,
            hint="Check the URL and the network; run the same command again to resume where it stopped.",
        ) from None
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError):
        raise DataError(
            "the LRS response is not JSON",
            where=url,
            hint="Point at the statements resource, not a web page.",
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("statements"), list):
        raise DataError(
            "the LRS response has no 'statements' list",
            where=url,
            hint="Point at the statements resource (…/statements), which returns a StatementResult.",
        )
    more = str(doc.get("more") or "")
    return Page(
        url,
        [json.dumps(s, ensure_ascii=False) for s in doc["statements"]],
        urllib.parse.urljoin(url, more) if more else "",
    )


def pages(start: str) -> Iterator[Page]:
    """Follow ``more`` links from ``start`` until the LRS says there is no more."""
    url = start
    while url:
        page = fetch_page(url)
        yield page
        url = page.more
