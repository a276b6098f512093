"""Labels of the authority's pages: the policy floor, form reviews, attribute changes,
overdue deadlines (and their navigation links).
"""

from api.console.text import Text

MESSAGES: dict[str, Text] = {
    "nav.authority_floor": Text("策略底线", "Policy floor"),
    "nav.authority_reviews": Text("形式审查", "Form reviews"),
    "nav.authority_changes": Text("开放属性变更", "Attribute changes"),
    "nav.authority_overdue": Text("超期事项", "Overdue"),
    "authority.floor.title": Text("平台策略底线", "The platform policy floor"),
    "authority.floor.intro": Text(
        "底线对所有数据集生效：数据集自己的策略不能比它更宽松。可用 JSON 或 YAML 编写。",
        "The floor holds for every dataset: no dataset's own policy may be looser. "
        "Write it in JSON or YAML.",
    ),
    "authority.floor.set_by": Text("设置人", "Set by"),
    "authority.floor.set_at": Text("设置时间", "Set on"),
    "authority.floor.document": Text("底线文档", "Floor document"),
    "authority.floor.hint": Text(
        "保存前由策略解析器校验；有错误时底线保持不变。",
        "The policy parser checks it before it is saved; with an error the floor stays as it was.",
    ),
    "authority.floor.invalid": Text(
        "底线文档无效，未保存", "The floor document is not valid: not saved"
    ),
    "authority.floor.saved": Text("底线已保存。", "The floor is saved."),
    "authority.floor.overridden": Text(
        "以下数据集的策略现由更严格的底线取代：{datasets}",
        "These datasets' own policies are now overridden by the stricter floor: {datasets}",
    ),
    "authority.floor.save": Text("校验并保存", "Check and save"),
    "authority.reviews.title": Text("形式审查", "Form reviews"),
    "authority.reviews.intro": Text(
        "通过后转交数据提供单位；退回时须说明理由（青岛第十七条）。",
        "Passed items go to the data provider; a returned one needs its reason (Qingdao art. 17).",
    ),
    "authority.reviews.applications": Text("待审查的数据申请", "Applications waiting"),
    "authority.reviews.demands": Text("待审查的数据需求", "Requests for unopened data waiting"),
    "authority.reviews.none": Text("暂无待审查事项。", "Nothing is waiting."),
    "authority.reviews.applicant": Text("申请人", "Applicant"),
    "authority.reviews.datasets": Text("数据集", "Datasets"),
    "authority.reviews.reason_given": Text("申请理由", "Reason given"),
    "authority.reviews.description": Text("需求说明", "Description"),
    "authority.reviews.provider": Text("数据提供单位", "Data provider"),
    "authority.reviews.due": Text("审查期限", "Review due"),
    "authority.reviews.outcome": Text("审查结论", "Outcome"),
    "authority.reviews.pass": Text("通过", "Pass"),
    "authority.reviews.return": Text("退回", "Return"),
    "authority.reviews.reason": Text("退回理由", "Reason for returning"),
    "authority.reviews.submit": Text("提交审查结论", "Record the review"),
    "authority.reviews.done": Text(
        "已记录 {item} 的审查结论。", "The review of {item} is recorded."
    ),
    "authority.changes.title": Text("开放属性变更申请", "Open attribute change requests"),
    "authority.changes.intro": Text(
        "批准后新的开放属性立即生效。", "An approved change applies the new attribute at once."
    ),
    "authority.changes.pending": Text("待决定", "Waiting for a decision"),
    "authority.changes.decided": Text("已决定", "Decided"),
    "authority.changes.none": Text("暂无。", "None."),
    "authority.changes.requested_by": Text("申请单位账户", "Requested by"),
    "authority.changes.legal_basis": Text("法律依据", "Legal basis"),
    "authority.changes.reason": Text("理由", "Reason"),
    "authority.changes.consent": Text("同意书编号", "Consent reference"),
    "authority.changes.note": Text("决定说明", "Decision note"),
    "authority.changes.approve": Text("批准", "Approve"),
    "authority.changes.reject": Text("驳回", "Reject"),
    "authority.changes.approved": Text("已批准", "Approved"),
    "authority.changes.rejected": Text("已驳回", "Rejected"),
    "authority.changes.dataset": Text("数据集", "Dataset"),
    "authority.changes.change": Text("变更", "Change"),
    "authority.changes.status": Text("状态", "Status"),
    "authority.changes.decided_by": Text("决定人", "Decided by"),
    "authority.overdue.title": Text("超期事项", "Overdue items"),
    "authority.overdue.intro": Text(
        "截至 {day} 已超过期限的待办环节，超期最久者在前（按工作日计算）。",
        "Open stages past their deadline as of {day}, the most overdue first (in working days).",
    ),
    "authority.overdue.caption": Text("超期事项 {count} 项", "{count} overdue items"),
    "authority.overdue.subject": Text("事项", "Case"),
    "authority.overdue.item": Text("内容", "About"),
    "authority.overdue.stage": Text("环节", "Stage"),
    "authority.overdue.assignee": Text("承办方", "Who must act"),
    "authority.overdue.due_on": Text("期限", "Due on"),
    "authority.overdue.late": Text("超期", "Late"),
    "authority.overdue.late_by": Text("超期 {days} 个工作日", "{days} working days late"),
    "authority.overdue.days_left": Text("剩余 {days} 个工作日", "{days} working days left"),
    "authority.overdue.provisional": Text("暂定", "Provisional"),
    "authority.overdue.provisional_note": Text(
        "“暂定”：期限所在年份的节假日安排尚未确认，调休可能使其变动。",
        "Provisional: the year's holiday arrangement is not confirmed yet, so a make-up "
        "working day may still move the deadline.",
    ),
    "authority.overdue.none": Text("没有超期事项。", "Nothing is overdue."),
}
