"""What the public dataset page shows of its users' opinion (Lianyungang art. 18; Chengdu
art. 35; Wuxi art. 26): the average rating and count, the approved comments (newest first,
a page at a time) and, for a signed-in account, its own rating and comments with their
moderation state beside the forms to change them.

The figures come from :func:`sandbox.oversight.feedback.feedback`, the function behind
``GET /v1/datasets/{name}/feedback``, so the page shows what the API would: a comment is
public only once a provider of the dataset's organisation approved it; until then only its
author sees it, waiting for that review.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from api.console.auth import Viewer
from sandbox.oversight import feedback
from sandbox.oversight.feedback import Comment, CommentStatus, Feedback
from sandbox.platform import Platform

COMMENTS_PER_PAGE = 10
"""Approved comments shown at once; older ones are on the following pages."""
DONE = frozenset({"rated", "commented"})
"""The ``?done=`` notes the page shows after a saved form."""


@dataclass(frozen=True)
class FeedbackForm:
    """What a refused form posted, to show again beside the named problem."""

    form: str
    """``rating`` or ``comment``: the form the problem belongs to."""
    problem: str
    stars: str = ""
    text: str = ""


@dataclass(frozen=True)
class FeedbackPanel:
    """The panel's figures, this page of approved comments and the viewer's own."""

    figures: Feedback
    comments: list[Comment]
    page: int
    pages: int
    can_post: bool
    own: list[Comment] = field(default_factory=list)
    """The viewer's comments not (or no longer) published: pending or hidden."""
    done: str | None = None
    form: FeedbackForm | None = None
    max_chars: int = feedback.MAX_COMMENT_CHARS
    star_choices: tuple[int, ...] = tuple(range(feedback.MIN_STARS, feedback.MAX_STARS + 1))

    @property
    def chosen_stars(self) -> str:
        """The stars the rating form shows chosen: the refused choice, else the current."""
        if self.form is not None and self.form.form == "rating":
            return self.form.stars
        mine = self.figures.my_rating
        return "" if mine is None else str(mine)

    @property
    def comment_text(self) -> str:
        """The comment box's text: a refused comment is shown again to be corrected."""
        return self.form.text if self.form is not None and self.form.form == "comment" else ""


def panel(
    platform: Platform,
    viewer: Viewer,
    name: str,
    *,
    page: int = 1,
    done: str | None = None,
    form: FeedbackForm | None = None,
) -> FeedbackPanel:
    """The panel of dataset ``name`` for ``viewer`` (a visitor sees figures and approved
    comments only), at comment page ``page`` (past the last page: the last one).
    """
    with platform.sessions() as session:
        figures = feedback.feedback(session, viewer.actor, name)
    newest_first = list(reversed(figures.comments))
    pages = max(1, -(-len(newest_first) // COMMENTS_PER_PAGE))
    shown = min(max(page, 1), pages)
    start = (shown - 1) * COMMENTS_PER_PAGE
    own = [c for c in reversed(figures.my_comments) if c.status != CommentStatus.APPROVED]
    return FeedbackPanel(
        figures=figures,
        comments=newest_first[start : start + COMMENTS_PER_PAGE],
        page=shown,
        pages=pages,
        can_post=viewer.signed_in,
        own=own if viewer.signed_in else [],
        done=done if done in DONE else None,
        form=form,
    )
