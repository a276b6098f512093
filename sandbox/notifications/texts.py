"""The notification texts in both languages, and the rule that keeps data out of them.

A notification stores a text key and parameters; the words are rendered when it is read (in
the reader's language) or e-mailed. Parameters may only be the names in :data:`PARAMS`:
ids, dataset names, dates, counts of days and closed labels. None of them can carry a value
of the data (a result's numbers, a row's field), so neither the inbox nor an e-mail can:
the recipient signs in to see a result, where the platform's checks apply.

Add a text here (both languages, the same placeholders) for a new event; the unit tests
check every entry.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass

from sandbox.errors import SandboxInternalError
from sandbox.notifications.model import Language, NotificationKind

K = NotificationKind

PARAMS: dict[str, str] = {
    "id": "an id (number or reference)",
    "dataset": "a dataset's name",
    "datasets": "dataset names, comma separated",
    "due_on": "a date, YYYY-MM-DD",
    "days": "a number of working days",
    "subject": "a closed label: what the item is (application, job, complaint, ...)",
    "stage": "a closed label: the workflow stage",
}
"""The only parameters a text may use, and what each holds."""

MAX_PARAM_CHARS = 300
_SAFE_VALUE = re.compile(r"^[\w .,:/\-]*$")
"""Names, ids, dates and comma lists: no line breaks, markup or free prose."""
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Text:
    """One event's words: a title and a sentence in each language."""

    kind: NotificationKind
    zh: tuple[str, str]
    en: tuple[str, str]

    def words(self, language: Language) -> tuple[str, str]:
        """``(title, body)`` templates in ``language``."""
        return self.zh if language is Language.ZH else self.en


TEXTS: dict[str, Text] = {
    "application.approved": Text(
        K.DECISION,
        (
            "申请 {id} 已获批准",
            "您对数据集 {datasets} 的使用申请 {id} 已获批准。接受数据使用协议后授权生效。",
        ),
        (
            "Application {id} approved",
            "Your application {id} for {datasets} was approved. The grant becomes active once "
            "you accept the data use agreement.",
        ),
    ),
    "application.refused": Text(
        K.DECISION,
        (
            "申请 {id} 未获批准",
            "您对数据集 {datasets} 的使用申请 {id} 未获批准。理由见平台；您可申请复核。",
        ),
        (
            "Application {id} refused",
            "Your application {id} for {datasets} was refused. The reason is on the platform; "
            "you may ask for a re-review.",
        ),
    ),
    "application.returned": Text(
        K.RETURNED,
        (
            "申请 {id} 被退回",
            "您对数据集 {datasets} 的使用申请 {id} 被退回修改。请在平台查看理由并重新提交。",
        ),
        (
            "Application {id} returned",
            "Your application {id} for {datasets} was returned for changes. See the reason on "
            "the platform and resubmit it.",
        ),
    ),
    "result.waiting": Text(
        K.REVIEW_WAITING,
        (
            "作业 {id} 的结果待审核",
            "作业 {id}（数据集 {datasets}）的结果已通过输出检查，等待您的审核。",
        ),
        (
            "Result of job {id} waits for review",
            "The result of job {id} on {datasets} passed the output checks and waits for your "
            "review.",
        ),
    ),
    "result.released": Text(
        K.RESULT_READY,
        (
            "作业 {id} 的结果已发布",
            "您的作业 {id}（数据集 {datasets}）的结果已发布，请登录平台查看。",
        ),
        (
            "Result of job {id} released",
            "The result of your job {id} on {datasets} was released: sign in to read it.",
        ),
    ),
    "result.rejected": Text(
        K.DECISION,
        (
            "作业 {id} 的结果未获发布",
            "您的作业 {id}（数据集 {datasets}）的结果被审核人拒绝发布。理由见平台。",
        ),
        (
            "Result of job {id} rejected",
            "A reviewer rejected the result of your job {id} on {datasets}. The reason is on "
            "the platform.",
        ),
    ),
    "result.returned": Text(
        K.RETURNED,
        (
            "作业 {id} 的结果被退回",
            "您的作业 {id}（数据集 {datasets}）的结果被退回修改。"
            "理由见平台；您可提交修改后的作业。",
        ),
        (
            "Result of job {id} returned",
            "The result of your job {id} on {datasets} was returned for changes. The reason is "
            "on the platform; you may submit a corrected job.",
        ),
    ),
    "dataset.suspended": Text(
        K.SUSPENSION,
        (
            "数据集 {dataset} 已暂停",
            "您持有授权的数据集 {dataset} 已被暂停使用：作业和结果发布暂停，直至处理完毕。",
        ),
        (
            "Dataset {dataset} suspended",
            "The dataset {dataset}, on which you hold a grant, was suspended: jobs and releases "
            "on it wait until it is resolved.",
        ),
    ),
    "dataset.resumed": Text(
        K.SUSPENSION,
        ("数据集 {dataset} 已恢复", "数据集 {dataset} 的暂停已处理完毕，可以再次使用。"),
        (
            "Dataset {dataset} resumed",
            "The suspension of the dataset {dataset} was resolved: it may be used again.",
        ),
    ),
    "dataset.closed": Text(
        K.SUSPENSION,
        ("数据集 {dataset} 已终止使用", "数据集 {dataset} 的暂停已转为终止：该数据集不再可用。"),
        (
            "Dataset {dataset} closed",
            "The suspension of the dataset {dataset} was made final: it is no longer available.",
        ),
    ),
    "case.received": Text(
        K.CASE_RECEIVED,
        (
            "新的{subject} {id}",
            "关于数据集 {dataset} 的{subject} {id} 已提交，请在 {due_on} 前答复。",
        ),
        (
            "New {subject} {id}",
            "A {subject} ({id}) about {dataset} was filed for you: answer it by {due_on}.",
        ),
    ),
    "case.answered": Text(
        K.CASE_ANSWERED,
        (
            "您的{subject} {id} 已答复",
            "您关于数据集 {dataset} 的{subject} {id} 已答复，请登录平台查看。",
        ),
        (
            "Your {subject} {id} was answered",
            "Your {subject} {id} about {dataset} was answered: sign in to read the answer.",
        ),
    ),
    "rereview.answered": Text(
        K.CASE_ANSWERED,
        ("{subject} {id} 的复核已答复", "您对{subject} {id} 申请的复核已有结论，请登录平台查看。"),
        (
            "Re-review of {subject} {id} answered",
            "The re-review you asked for of {subject} {id} was answered: sign in to read it.",
        ),
    ),
    "deadline.approaching": Text(
        K.DEADLINE_APPROACHING,
        (
            "{subject} {id} 将于 {due_on} 到期",
            "{subject} {id} 的“{stage}”须在 {due_on} 前完成（还剩 {days} 个工作日）。",
        ),
        (
            "{subject} {id} is due on {due_on}",
            "The {stage} of {subject} {id} is due on {due_on} ({days} working days left).",
        ),
    ),
    "deadline.passed": Text(
        K.DEADLINE_PASSED,
        ("{subject} {id} 已逾期", "{subject} {id} 的“{stage}”期限为 {due_on}，现已逾期。"),
        (
            "{subject} {id} is overdue",
            "The {stage} of {subject} {id} was due on {due_on} and is overdue.",
        ),
    ),
    "grant.expiring": Text(
        K.DEADLINE_APPROACHING,
        (
            "授权 {id} 将于 {due_on} 到期",
            "您对数据集 {datasets} 的授权 {id} 将于 {due_on} 到期。如需继续使用，请提前申请。",
        ),
        (
            "Grant {id} ends on {due_on}",
            "Your grant {id} on {datasets} ends on {due_on}. Apply again in time if you need "
            "it longer.",
        ),
    ),
    "report.due": Text(
        K.REMINDER,
        (
            "授权 {id} 的{stage}报告将于 {due_on} 到期",
            "授权 {id} 的{stage}报告应在 {due_on} 前在平台提交。",
        ),
        (
            "{stage} report on grant {id} due on {due_on}",
            "The {stage} report on grant {id} is due on {due_on}: file it on the platform.",
        ),
    ),
    "report.overdue": Text(
        K.DEADLINE_PASSED,
        (
            "授权 {id} 的{stage}报告已逾期",
            "授权 {id} 的{stage}报告应在 {due_on} 前提交，现已逾期。",
        ),
        (
            "{stage} report on grant {id} overdue",
            "The {stage} report on grant {id} was due on {due_on} and is overdue.",
        ),
    ),
    "catalog.passed": Text(
        K.DECISION,
        ("数据集 {dataset} 已通过审核", "数据集 {dataset} 的目录或数据已通过审核。"),
        ("Dataset {dataset} passed", "The catalog entry or data of {dataset} passed review."),
    ),
    "plan.submitted": Text(
        K.CASE_RECEIVED,
        ("开放清单 {id} 待审核", "开放清单 {id} 已提交，请审核后发布或退回。"),
        (
            "Opening plan {id} awaits review",
            "The opening plan {id} was submitted: publish it or return it with a note.",
        ),
    ),
    "plan.published": Text(
        K.DECISION,
        ("开放清单 {id} 已发布", "开放清单 {id} 已审核通过并在平台公布。"),
        ("Opening plan {id} published", "The opening plan {id} passed review and is public."),
    ),
    "plan.returned": Text(
        K.RETURNED,
        ("开放清单 {id} 被退回", "开放清单 {id} 被退回修改，说明见平台。"),
        (
            "Opening plan {id} returned",
            "The opening plan {id} was returned for changes: see the note on the platform.",
        ),
    ),
    "catalog.returned": Text(
        K.RETURNED,
        ("数据集 {dataset} 被退回", "数据集 {dataset} 的目录或数据被退回修改，理由见平台。"),
        (
            "Dataset {dataset} returned",
            "The catalog entry or data of {dataset} was returned for changes: see the reason "
            "on the platform.",
        ),
    ),
    "task.assigned": Text(
        K.CASE_RECEIVED,
        (
            "新任务：数据集 {dataset}",
            "您有一项关于数据集 {dataset} 的{subject}任务，请在 {due_on} 前完成。",
        ),
        (
            "New task on {dataset}",
            "A {subject} task on {dataset} was opened for you: complete it by {due_on}.",
        ),
    ),
    "dataset.update_due": Text(
        K.REMINDER,
        ("数据集 {dataset} 待更新", "按其更新频率，数据集 {dataset} 应在 {due_on} 前更新。"),
        (
            "Dataset {dataset} is due for an update",
            "By its update frequency, the dataset {dataset} should be updated by {due_on}.",
        ),
    ),
}
"""Every notification text, by key."""

LABELS: dict[str, tuple[str, str]] = {
    "application": ("申请", "application"),
    "demand": ("数据开放需求", "request for data"),
    "complaint": ("投诉", "complaint"),
    "objection": ("异议", "objection"),
    "report": ("举报", "report"),
    "job": ("作业", "job"),
    "grant": ("授权", "grant"),
    "dataset": ("数据集", "dataset"),
    "form_review": ("形式审查", "form review"),
    "provider_review": ("提供方审核", "provider's review"),
    "opening": ("数据开放", "opening"),
    "answer": ("答复", "answer"),
    "re_review": ("复核", "re-review"),
    "usage": ("使用情况", "usage"),
    "risk": ("风险", "risk"),
    "quality_assessment": ("质量评估", "quality assessment"),
    "rectification": ("整改", "rectification"),
    "catalog_review": ("目录审核", "catalog review"),
    "public_report": ("公众举报", "public report"),
    "law_change_task": ("法规变化目录更新", "catalog update after a change of law"),
    "catalog_update": ("目录更新", "catalog update"),
    "report_answer": ("举报答复", "answer to a report"),
}
"""Words for the closed labels (``subject``, ``stage``); an unknown label shows as is."""

_LABELLED = frozenset({"subject", "stage"})


def fields_of(template: str) -> set[str]:
    """The ``{name}`` fields of a template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def text_of(key: str) -> Text:
    """The text of ``key``; an unknown key is a programming error of its producer."""
    text = TEXTS.get(key)
    if text is None:
        raise SandboxInternalError(f"no notification text {key!r} in sandbox.notifications.texts")
    return text


def check_params(key: str, params: Mapping[str, object]) -> dict[str, str | int]:
    """``params`` checked against ``key``'s text: exactly its fields, each a safe value.

    A producer passing anything else is a programming error, never a user's bad input, so
    the failure is internal (the event's transaction rolls back).
    """
    text = text_of(key)
    wanted = fields_of(text.en[0]) | fields_of(text.en[1])
    given = set(params)
    if given != wanted:
        raise SandboxInternalError(
            f"notification {key!r} takes {sorted(wanted)}, was given {sorted(given)}"
        )
    checked: dict[str, str | int] = {}
    for name, value in params.items():
        if name not in PARAMS:
            raise SandboxInternalError(f"{name!r} is not a notification parameter")
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise SandboxInternalError(f"notification parameter {name} must be a str or int")
        if isinstance(value, str):
            if len(value) > MAX_PARAM_CHARS or not _SAFE_VALUE.match(value):
                raise SandboxInternalError(f"notification parameter {name} is not a plain name")
            if name == "due_on" and not _DATE.match(value):
                raise SandboxInternalError("notification parameter due_on must be YYYY-MM-DD")
        checked[name] = value
    return checked


def render(key: str, params: Mapping[str, str | int], language: Language) -> tuple[str, str]:
    """``(title, body)`` of notification ``key`` in ``language``."""
    title, body = text_of(key).words(language)
    values: dict[str, str] = {}
    for name, value in params.items():
        label = LABELS.get(str(value)) if name in _LABELLED else None
        values[name] = label[0 if language is Language.ZH else 1] if label else str(value)
    return title.format_map(values), body.format_map(values)


def check_catalogue() -> None:
    """Every text uses the same known fields in both languages (run by the unit tests)."""
    for key, text in TEXTS.items():
        zh = fields_of(text.zh[0]) | fields_of(text.zh[1])
        en = fields_of(text.en[0]) | fields_of(text.en[1])
        if zh != en or not en <= set(PARAMS):
            raise SandboxInternalError(f"notification text {key!r}: fields {zh} vs {en}")
