"""The data use agreement (协议) a user accepts before a grant becomes active.

The text is configuration: a Markdown file whose front matter names its version::

    ---
    version: "2026.1"
    ---
    # Conditional data use agreement
    ...

When a user accepts, the grant records the version, the SHA-256 of the text and the text
itself, so what was agreed stays readable after the file changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml

from sandbox.errors import InvalidRequest

MAX_AGREEMENT_CHARS = 200_000
"""Longest agreement text accepted."""


@dataclass(frozen=True)
class Agreement:
    """One version of the agreement text."""

    version: str
    """The version named in the file's front matter."""
    text: str
    """The agreement itself (Markdown, without the front matter)."""

    def __post_init__(self) -> None:
        if not self.version.strip() or len(self.version) > 64:
            raise InvalidRequest("an agreement needs a version of 1 to 64 characters")
        if not self.text.strip() or len(self.text) > MAX_AGREEMENT_CHARS:
            raise InvalidRequest(
                f"an agreement needs a text of at most {MAX_AGREEMENT_CHARS} characters"
            )

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the UTF-8 text: what the user's acceptance refers to."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def parse_agreement(content: str) -> Agreement:
    """Split a file's front matter (``version``) from its text."""
    if not content.startswith("---"):
        raise InvalidRequest(
            "an agreement file must start with front matter naming its "
            "version ('---', 'version: ...', '---')"
        )
    parts = content.split("\n---", 1)
    if len(parts) != 2:
        raise InvalidRequest("the agreement file's front matter is not closed with '---'")
    try:
        header = yaml.safe_load(parts[0].removeprefix("---"))
    except yaml.YAMLError:
        raise InvalidRequest("the agreement file's front matter is not valid YAML") from None
    if not isinstance(header, dict) or "version" not in header:
        raise InvalidRequest("the agreement file's front matter must name its version")
    return Agreement(version=str(header["version"]), text=parts[1].lstrip("-").lstrip("\n"))


def load_agreement(path: Path | str) -> Agreement:
    """Read the agreement file; errors name the file."""
    source = Path(path)
    try:
        return parse_agreement(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidRequest(f"cannot read the agreement {source}: {exc}") from None
    except InvalidRequest as exc:
        raise InvalidRequest(f"the agreement {source} is not valid: {exc.message}") from None
