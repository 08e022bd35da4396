"""One learner identity across sources, and its pseudonym.

An identity (HR id, email, xAPI ``mbox`` / ``mbox_sha1sum`` / ``account.name`` / ``openid``) is normalized
by trimming, lower-casing and dropping ``mailto:``. With ``--pseudonymize`` every normalized identity is
replaced by HMAC-SHA256 (RFC 2104) under a key kept outside the store: ``$LEARNROI_PSEUDONYM_KEY`` or a
0600 file in the user's config folder. The same key gives the same pseudonym in every source, so joins
still work.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from learnroi.core.errors import EnvironmentProblem
from learnroi.core.settings import Settings, config_dir

KEY_FILE_NAME = "pseudonym.key"


def trimmed_sql(expr: str) -> str:
    """``expr`` without surrounding spaces, tabs, CR and LF. Only values that have some pay for the trim
    (it allocates); the test is ``ascii`` of the first character and ``ends_with`` for the last, 3x
    cheaper than ``right(expr, 1)`` (measured: 0.014 vs 0.045 CPU s per million values)."""
    last = " OR ".join(f"ends_with({expr}, chr({c}))" for c in (32, 9, 13, 10))
    return f"(CASE WHEN ascii({expr}) <= 32 OR {last} THEN trim({expr}, ' \t\r\n') ELSE {expr} END)"


def normalize_sql(expr: str) -> str:
    """SQL that normalizes an identity expression: trim, lower case, no ``mailto:``; empty -> NULL."""
    t = trimmed_sql(expr)
    return (
        f"nullif(lower(CASE WHEN lower(left({t}, 7)) = 'mailto:' THEN trim(substr({t}, 8)) ELSE {t} END), '')"
    )


def normalize(value: str) -> str:
    """Python twin of :func:`normalize_sql` (for tests and single values)."""
    v = value.strip()
    if v.lower().startswith("mailto:"):
        v = v[7:]
    return v.strip().lower()


def mbox_sha1(email: str) -> str:
    """The xAPI ``mbox_sha1sum`` of an email: SHA-1 of ``mailto:<email>`` (xAPI 1.0.3 §2.4.2.3)."""
    return hashlib.sha1(f"mailto:{normalize(email)}".encode()).hexdigest()


def key_file() -> Path:
    return config_dir() / KEY_FILE_NAME


def load_key(create: bool = True) -> bytes:
    """The pseudonymization key: the environment variable, else the key file (created 0600 if missing)."""
    env = os.environ.get(Settings().pseudonym_key_env)
    if env:
        return env.encode("utf-8")
    path = key_file()
    if path.exists():
        mode = path.stat().st_mode & 0o077
        if mode:
            raise EnvironmentProblem(
                "the pseudonymization key file is readable by other users",
                where=str(path),
                hint=f"Run `chmod 600 {path}`.",
            )
        return path.read_bytes().strip()
    if not create:
        raise EnvironmentProblem(
            "no pseudonymization key",
            where=str(path),
            hint=f"Set {Settings().pseudonym_key_env} or run one `learnroi ingest --pseudonymize` to create the key file.",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(secrets.token_hex(32).encode("ascii"))
    return path.read_bytes().strip()


def pseudonym(value: str, key: bytes) -> str:
    """HMAC-SHA256 of the value (already normalized), hex."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def key_fingerprint(key: bytes) -> str:
    """A value that identifies the key without revealing it (stored so a different key is refused)."""
    return pseudonym("learnroi-key-fingerprint", key)[:16]
