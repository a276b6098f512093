"""Labels of the provider's case pages: application decisions, complaints, objections,
suspensions, usage reports and held logs (and their navigation links).

Workflow statuses, case kinds and stages reuse the authority's ``authority.status.*``,
``authority.subject.*`` and ``authority.stage.*`` keys.
"""

from api.console.text import Text

MESSAGES: dict[str, Text] = {
    "nav.provider_applications": Text("申请审批", "Application decisions"),
    "nav.provider_cases": Text("投诉、异议与报告", "Complaints, objections, reports"),
    "nav.provider_logs": Text("日志审核", "Held logs"),
    # the tabs every case page shows
    "pcases.tabs": Text("提供单位事项", "Provider cases"),
    "pcases.tab.applications": Text("待决定的申请", "Applications"),
    "pcases.tab.complaints": Text("投诉", "Complaints"),
    "pcases.tab.objections": Text("异议", "Objections"),
    "pcases.tab.suspensions": Text("中止开放", "Suspensions"),
    "pcases.tab.reports": Text("使用报告", "Usage reports"),
    "pcases.tab.logs": Text("待审核日志", "Held logs"),
    # shared
    "pcases.dataset": Text("数据集", "Dataset"),
    "pcases.datasets": Text("数据集", "Datasets"),
    "pcases.status": Text("状态", "Status"),
    "pcases.submitted": Text("提交时间", "Submitted"),
    "pcases.deadline": Text("答复期限", "Answer due"),
    "pcases.decision_due": Text("决定期限", "Decision due"),
    "pcases.stage_outcome.passed": Text("通过", "Passed"),
    "pcases.days_left": Text("剩余 {days} 个工作日", "{days} working days left"),
    "pcases.due_today": Text("今日到期", "Due today"),
    "pcases.overdue_by": Text("已超期 {days} 个工作日", "Overdue by {days} working days"),
    "pcases.overdue": Text("已超期", "Overdue"),
    "pcases.provisional": Text("暂定", "Provisional"),
    "pcases.provisional_note": Text(
        "“暂定”：期限所在年份的节假日安排尚未确认，调休可能使其变动。",
        "Provisional: the year's holiday arrangement is not confirmed yet, so a make-up "
        "working day may still move the deadline.",
    ),
    "pcases.open": Text("查看", "Open"),
    "pcases.case_no": Text("编号", "Case"),
    "pcases.none": Text("暂无。", "None."),
    "pcases.kind": Text("类型", "Kind"),
    "pcases.description": Text("说明", "Description"),
    "pcases.answer": Text("答复内容", "Answer"),
    "pcases.answered_by": Text("答复人", "Answered by"),
    "pcases.answered_at": Text("答复时间", "Answered"),
    "pcases.outcome": Text("结论", "Outcome"),
    "pcases.stages": Text("办理环节", "Stages"),
    "pcases.stage": Text("环节", "Stage"),
    "pcases.started": Text("开始", "Started"),
    "pcases.waiting": Text("待办", "Waiting"),
    "pcases.error_title": Text("未保存：请修改后重新提交", "Not saved: correct it and send again"),
    "pcases.case_status.open": Text("待答复", "Waiting for the answer"),
    "pcases.case_status.answered": Text("已答复", "Answered"),
    # applications
    "pcases.apps.title": Text("待决定的数据申请", "Applications waiting for your decision"),
    "pcases.apps.intro": Text(
        "通过形式审查的申请须在 10 个工作日内作出决定："
        "批准并确定使用范围，或说明理由和法律依据不予批准。",
        "Applications that passed the form review wait for your decision within 10 working "
        "days: approve with a scope, or refuse with the reason and its legal basis.",
    ),
    "pcases.apps.caption": Text("{count} 份申请待决定", "{count} applications waiting"),
    "pcases.apps.none": Text("没有待决定的申请。", "No application waits for your decision."),
    "pcases.apps.decided": Text("已决定的申请", "Decided applications"),
    "pcases.apps.decided_caption": Text("最近决定的 {count} 份申请", "{count} recent decisions"),
    "pcases.apps.applicant": Text("申请人", "Applicant"),
    "pcases.apps.title_col": Text("申请事项", "Application"),
    "pcases.apps.period": Text("使用期间", "Period of use"),
    "pcases.apps.one": Text("数据申请 #{id}：{title}", "Application #{id}: {title}"),
    "pcases.apps.back": Text("返回待决定的申请", "Back to the applications"),
    "pcases.apps.reason": Text("申请理由", "Reason given"),
    "pcases.apps.type": Text("申请类型", "Type"),
    "pcases.apps.type.dataset": Text("数据集", "Dataset"),
    "pcases.apps.type.interface": Text("数据接口", "Interface"),
    "pcases.apps.results_form": Text("成果形式", "Form of the results"),
    "pcases.apps.scenario": Text("应用场景", "Scenario"),
    "pcases.apps.security": Text("安全保障措施", "Security measures"),
    "pcases.apps.refusal": Text("不予批准的理由", "Reason for refusing"),
    "pcases.apps.legal_basis": Text("法律依据", "Legal basis"),
    "pcases.apps.grant": Text("已创建授权 #{id}", "Grant #{id} was created"),
    "pcases.apps.decision": Text("作出决定", "Your decision"),
    "pcases.apps.outcome": Text("决定", "Decision"),
    "pcases.apps.approve": Text("批准", "Approve"),
    "pcases.apps.refuse": Text("不予批准", "Refuse"),
    "pcases.apps.scope": Text("批准的使用范围", "The approved scope"),
    "pcases.apps.scope_hint": Text(
        "仅在批准时使用；不得比数据集自身的策略更宽松。",
        "Used when approving; never looser than the datasets' own policy.",
    ),
    "pcases.apps.budget": Text("隐私预算（ε）", "Privacy budget (ε)"),
    "pcases.apps.budget_hint": Text(
        "批准时必填：数字或精确小数，如 1 或 0.5。",
        "Required to approve: a number, such as 1 or 0.5.",
    ),
    "pcases.apps.delta": Text("δ（可选）", "δ (optional)"),
    "pcases.apps.scope_datasets": Text("批准的数据集", "Approved datasets"),
    "pcases.apps.job_kinds": Text("允许的作业类型", "Allowed job kinds"),
    "pcases.apps.job_kind.dp": Text("差分隐私作业", "Differentially private jobs"),
    "pcases.apps.job_kind.raw": Text(
        "原始数据作业（结果人工审核）", "Raw-data jobs (results reviewed)"
    ),
    "pcases.apps.period_start": Text("使用开始日期", "Period starts"),
    "pcases.apps.period_end": Text("使用结束日期", "Period ends"),
    "pcases.apps.report_interval": Text("报告间隔（天）", "Report interval (days)"),
    "pcases.apps.policy": Text(
        "附加授权策略（JSON 或 YAML，可选）", "Further grant policy (JSON or YAML, optional)"
    ),
    "pcases.apps.refusal_fields": Text("不予批准时填写", "When refusing"),
    "pcases.apps.refusal_hint": Text(
        "不予批准须说明理由和法律依据（无锡第十五条；连云港第十九条）。",
        "A refusal states its reason and its legal basis (Wuxi art. 15; Lianyungang art. 19).",
    ),
    "pcases.apps.note": Text("批准说明（可选）", "Note on the approval (optional)"),
    "pcases.apps.submit": Text("提交决定", "Record the decision"),
    "pcases.apps.done.approve": Text("已批准，授权已创建。", "Approved: the grant is created."),
    "pcases.apps.done.refuse": Text("已记录不予批准的决定。", "The refusal is recorded."),
    "pcases.apps.not_waiting": Text(
        "该申请当前不在等待你单位决定的环节。",
        "This application does not wait for your organisation's decision now.",
    ),
    # complaints
    "pcases.complaints.title": Text("针对本单位数据的投诉", "Complaints about your datasets"),
    "pcases.complaints.intro": Text(
        "投诉须在 10 个工作日内答复；必要时可立即中止数据集开放。",
        "A complaint is answered within 10 working days; you may suspend the dataset at once.",
    ),
    "pcases.complaints.caption": Text("{count} 件投诉", "{count} complaints"),
    "pcases.complaints.complainant": Text("投诉人", "Complainant"),
    "pcases.complaints.one": Text("投诉 #{id}", "Complaint #{id}"),
    "pcases.complaints.back": Text("返回投诉列表", "Back to the complaints"),
    "pcases.complaints.kind.privacy": Text("个人信息或隐私", "Personal information or privacy"),
    "pcases.complaints.kind.trade_secret": Text("商业秘密", "Trade secret"),
    "pcases.complaints.evidence_text": Text("证据说明", "Evidence as text"),
    "pcases.complaints.evidence": Text("证据文件", "Evidence files"),
    "pcases.complaints.evidence_none": Text("没有证据文件。", "No evidence file."),
    "pcases.complaints.file": Text("文件", "File"),
    "pcases.complaints.size": Text("大小（字节）", "Size (bytes)"),
    "pcases.complaints.uploaded": Text("上传", "Uploaded"),
    "pcases.complaints.download": Text("下载 {name}", "Download {name}"),
    "pcases.complaints.suspended": Text(
        "该数据集当前已中止开放。", "The dataset is suspended now."
    ),
    "pcases.complaints.suspend": Text("立即中止开放该数据集", "Suspend the dataset at once"),
    "pcases.complaints.suspend_reason": Text("中止理由（公开）", "Reason (shown to everyone)"),
    "pcases.complaints.suspend_submit": Text("中止开放", "Suspend"),
    "pcases.complaints.suspend_done": Text(
        "数据集已中止开放，相关作业已停止。", "The dataset is suspended; its jobs are stopped."
    ),
    "pcases.complaints.answer_form": Text("答复投诉", "Answer the complaint"),
    "pcases.complaints.outcome.restore": Text("恢复开放", "Restore"),
    "pcases.complaints.outcome.reprocess": Text(
        "重新脱敏后开放（新版本）", "Reprocess (a new desensitised version)"
    ),
    "pcases.complaints.outcome.end": Text("终止开放（永久撤回）", "End (withdraw for good)"),
    "pcases.complaints.resolution.restored": Text("已恢复开放", "Restored"),
    "pcases.complaints.resolution.reprocessed": Text("已重新脱敏", "Reprocessed"),
    "pcases.complaints.resolution.ended": Text("已终止开放", "Ended"),
    "pcases.complaints.upload_id": Text("脱敏数据的上传编号", "Upload id of the desensitised data"),
    "pcases.complaints.upload_hint": Text(
        "仅重新脱敏时填写：先通过上传接口暂存数据。",
        "Only to reprocess: stage the data through the upload first.",
    ),
    "pcases.complaints.method": Text("脱敏方法", "Desensitisation method"),
    "pcases.complaints.new_version": Text("新版本", "New version"),
    "pcases.complaints.submit": Text("提交答复", "Send the answer"),
    "pcases.complaints.done": Text("答复已记录。", "The answer is recorded."),
    # objections
    "pcases.objections.title": Text("针对本单位数据的异议", "Objections to your datasets"),
    "pcases.objections.intro": Text(
        "异议须在 10 个工作日内答复：已更正（指明含更正的新版本）或不予采纳并说明理由。",
        "An objection is answered within 10 working days: corrected (naming the new version "
        "holding the correction) or rejected with the reason.",
    ),
    "pcases.objections.caption": Text("{count} 件异议", "{count} objections"),
    "pcases.objections.objector": Text("异议人", "Objector"),
    "pcases.objections.one": Text("异议 #{id}", "Objection #{id}"),
    "pcases.objections.back": Text("返回异议列表", "Back to the objections"),
    "pcases.objections.kind.error": Text("数据错误", "Error"),
    "pcases.objections.kind.omission": Text("数据遗漏", "Omission"),
    "pcases.objections.kind.quality": Text("数据质量", "Quality"),
    "pcases.objections.kind.open_attribute": Text("开放属性", "Open attribute"),
    "pcases.objections.kind.illegality": Text("开放违法或侵权", "Unlawful opening"),
    "pcases.objections.version_at_filing": Text("提出时的版本", "Version objected to"),
    "pcases.objections.latest": Text("当前最新版本", "Newest version now"),
    "pcases.objections.answer_form": Text("答复异议", "Answer the objection"),
    "pcases.objections.outcome.corrected": Text("已更正", "Corrected"),
    "pcases.objections.outcome.rejected": Text("不予采纳", "Rejected"),
    "pcases.objections.version": Text("含更正的新版本号", "New version holding the correction"),
    "pcases.objections.version_hint": Text(
        "更正时必填：先把更正后的数据登记为新版本。",
        "Required to answer corrected: register the corrected data as a new version first.",
    ),
    "pcases.objections.attribute_change": Text(
        "开放属性变更申请编号", "Attribute change request id"
    ),
    "pcases.objections.attribute_hint": Text(
        "针对开放属性的异议更正时必填。",
        "Required to correct an objection to the open attribute.",
    ),
    "pcases.objections.corrected_version": Text("更正版本", "Corrected in version"),
    "pcases.objections.submit": Text("提交答复", "Send the answer"),
    "pcases.objections.done": Text("答复已记录。", "The answer is recorded."),
    # suspensions
    "pcases.suspensions.title": Text("本单位数据集的中止开放", "Suspensions of your datasets"),
    "pcases.suspensions.intro": Text(
        "中止期间任何授权都不覆盖该数据集。可恢复开放或终止开放（永久撤回）；重新脱敏请在对应投诉中答复或使用接口。",
        "While a suspension is in force no grant covers the dataset. Restore it, or end it "
        "(withdraw for good); to reprocess, answer the complaint or use the API.",
    ),
    "pcases.suspensions.in_force": Text("正在中止的", "In force"),
    "pcases.suspensions.history": Text("历史记录", "History"),
    "pcases.suspensions.caption": Text("{count} 次中止", "{count} suspensions"),
    "pcases.suspensions.none": Text("没有中止开放的数据集。", "No dataset is suspended."),
    "pcases.suspensions.reason": Text("中止理由", "Reason"),
    "pcases.suspensions.complaint": Text("相关投诉", "Complaint"),
    "pcases.suspensions.by": Text("中止人", "Suspended by"),
    "pcases.suspensions.at": Text("中止时间", "Suspended"),
    "pcases.suspensions.resolution": Text("处理结果", "Resolution"),
    "pcases.suspensions.unresolved": Text("未处理", "Unresolved"),
    "pcases.suspensions.withdrawn": Text("已永久撤回", "Withdrawn for good"),
    "pcases.suspensions.resolve": Text("处理中止", "Resolve the suspension"),
    "pcases.suspensions.note": Text("处理说明", "Note"),
    "pcases.suspensions.submit": Text("提交处理", "Resolve"),
    "pcases.suspensions.done": Text(
        "中止已处理：{dataset}。", "The suspension is resolved: {dataset}."
    ),
    # usage reports
    "pcases.reports.title": Text("授权使用报告", "Usage and risk reports"),
    "pcases.reports.intro": Text(
        "获得本单位授权的使用方须按期提交使用报告和风险报告；逾期未交的在前。",
        "Holders of your grants owe usage and risk reports at each grant's interval; the "
        "missing ones come first.",
    ),
    "pcases.reports.due": Text("应交报告", "Reports due"),
    "pcases.reports.due_caption": Text(
        "{count} 项应交报告，其中 {missing} 项逾期", "{count} reports due, {missing} missing"
    ),
    "pcases.reports.filed": Text("已收到的报告", "Reports received"),
    "pcases.reports.filed_caption": Text("{count} 份报告", "{count} reports"),
    "pcases.reports.grant": Text("授权", "Grant"),
    "pcases.reports.holder": Text("使用方", "Holder"),
    "pcases.reports.kind.usage": Text("使用报告", "Usage report"),
    "pcases.reports.kind.risk": Text("风险报告", "Risk report"),
    "pcases.reports.due_on": Text("截止日期", "Due on"),
    "pcases.reports.last": Text("上次提交", "Last filed"),
    "pcases.reports.never": Text("尚未提交", "Never"),
    "pcases.reports.missing": Text("逾期 {days} 天", "Missing, {days} days late"),
    "pcases.reports.on_time": Text("未到期", "Not yet due"),
    "pcases.reports.by": Text("提交人", "Filed by"),
    "pcases.reports.rectify": Text("要求整改", "Ask for rectification"),
    "pcases.reports.rectify_intro": Text(
        "使用方逾期未交报告时，可要求其整改：其在本单位数据上的全部有效授权将被暂停（西安第三十五条）。",
        "When a holder misses a report you may ask it to rectify: every active grant it "
        "holds on your data is suspended (Xi'an art. 35).",
    ),
    "pcases.reports.rectify_grants": Text(
        "逾期报告涉及的授权：{grants}", "Grants with missing reports: {grants}"
    ),
    "pcases.reports.rectify_reason": Text(
        "整改要求（告知使用方）", "What to rectify (shown to the holder)"
    ),
    "pcases.reports.rectify_submit": Text(
        "要求整改并暂停授权", "Ask to rectify and suspend its grants"
    ),
    "pcases.reports.rectify_done": Text(
        "已要求整改，相关授权已暂停。", "Rectification is asked for; the grants are suspended."
    ),
    "pcases.reports.one": Text("报告 #{id}", "Report #{id}"),
    "pcases.reports.back": Text("返回使用报告", "Back to the reports"),
    "pcases.reports.field.use": Text("使用情况", "Use"),
    "pcases.reports.field.results": Text("成果", "Results"),
    "pcases.reports.field.benefits": Text("效益", "Benefits"),
    "pcases.reports.field.data_used": Text("使用的数据种类和数量", "Data used"),
    "pcases.reports.field.processing": Text("处理活动", "Processing done"),
    "pcases.reports.field.risks": Text("遇到的风险", "Risks met"),
    "pcases.reports.field.measures": Text("采取的措施", "Measures taken"),
    # held logs
    "pcases.logs.title": Text("待审核的作业日志", "Held logs waiting for review"),
    "pcases.logs.intro": Text(
        "作者申请查看被扣留的日志和错误信息；日志可能含有数据，需像结果一样审核后才能发布。",
        "Their authors asked for the held log and errors; a log may carry data, so it is "
        "reviewed like a result before it is released.",
    ),
    "pcases.logs.caption": Text("{count} 份日志待审核", "{count} logs waiting"),
    "pcases.logs.none": Text("没有待审核的日志。", "No log waits for review."),
    "pcases.logs.job": Text("作业", "Job"),
    "pcases.logs.author": Text("提交人", "Author"),
    "pcases.logs.kind": Text("作业类型", "Job kind"),
    "pcases.logs.state": Text("作业状态", "Job state"),
    "pcases.logs.asked": Text("申请时间", "Asked"),
    "pcases.logs.open": Text("审核 #{id} 的日志", "Review #{id}'s log"),
    "pcases.logs.one": Text("作业 #{id} 的日志", "The log of job #{id}"),
    "pcases.logs.back": Text("返回待审核日志", "Back to the held logs"),
    "pcases.logs.log": Text("模型输出的日志（只读）", "The model's log (read-only)"),
    "pcases.logs.log_empty": Text("模型没有输出日志。", "The model wrote no log line."),
    "pcases.logs.errors": Text("错误信息", "Errors"),
    "pcases.logs.errors_none": Text("没有错误信息。", "No error text."),
    "pcases.logs.held": Text("日志内容对你不可见。", "The log's content is not shown to you."),
    "pcases.logs.review": Text("审核状态", "Review"),
    "pcases.logs.review.requested": Text("待审核", "Requested"),
    "pcases.logs.review.released": Text("已发布", "Released"),
    "pcases.logs.review.refused": Text("不予发布", "Refused"),
    "pcases.logs.decision": Text("决定", "Decision"),
    "pcases.logs.release": Text("发布给作者", "Release to the author"),
    "pcases.logs.refuse": Text("不予发布", "Withhold"),
    "pcases.logs.reason": Text("理由（不予发布时必填）", "Reason (required to withhold)"),
    "pcases.logs.submit": Text("提交决定", "Submit the decision"),
    "pcases.logs.frozen": Text("审核已冻结：{why}", "The review is frozen: {why}"),
    "pcases.logs.cannot": Text(
        "你不能对该日志作出决定（不是授权单位的审核人、是作业提交人，或已决定）。",
        "You cannot decide on this log (not a reviewer of the granting organisation, your "
        "own job, or already decided).",
    ),
    "pcases.logs.done.release": Text("日志已发布给作者。", "The log is released to its author."),
    "pcases.logs.done.refuse": Text("已记录不予发布的决定。", "The log stays withheld."),
    "pcases.logs.refused_reason": Text("不予发布的理由", "Why it was withheld"),
}
