"""``python -m tests.support.moto_server -H 127.0.0.1 -p PORT``: moto's S3 API server, with
its signature check fixed for query values holding reserved characters.

moto checks a request's SigV4 signature by re-signing the URL it sees, whose query string
werkzeug hands over with ``%2F`` decoded to ``/``; botocore signs the canonical query as
given, so every listing under a prefix (``prefix=a%2F&delimiter=%2F``, as pyarrow and boto3
send) fails with ``SignatureDoesNotMatch``. Re-encoding the query the way SigV4 prescribes
(RFC 3986 unreserved characters only) before moto re-signs makes its check agree with
every correct client, and still refuses a wrong or missing key.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from moto.iam import access_control
from moto.server import main


def _canonical_path(path: str) -> str:
    base, _, query = path.partition("?")
    if not query:
        return path
    pairs = parse_qsl(query, keep_blank_values=True)
    return f"{base}?{urlencode(pairs, quote_via=quote, safe='-_.~')}"


_original_init = access_control.IAMRequestBase.__init__


def _init(self: Any, account_id: str, method: str, path: str, *args: Any, **kwargs: Any) -> None:
    _original_init(self, account_id, method, _canonical_path(path), *args, **kwargs)


access_control.IAMRequestBase.__init__ = _init  # type: ignore[method-assign]

if __name__ == "__main__":
    main()
