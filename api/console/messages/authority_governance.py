"""Labels of the authority's catalog-governance pages: the publication review queue and
one version's review, grade proposals, annual quality assessments and update reminders.

Stages and deadlines reuse ``authority.stage.*`` and the provider pages' ``pcases.*``
deadline texts; grades reuse ``provider_data.grade.*``.
"""

from api.console.text import Text

MESSAGES: dict[str, Text] = {
    "nav.authority_governance": Text("目录治理", "Catalog governance"),
    "governance.tabs": Text("目录治理", "Catalog governance"),
    "governance.tab.reviews": Text("发布审核", "Publication review"),
    "governance.tab.grades": Text("分级申报", "Grade proposals"),
    "governance.tab.quality": Text("年度质量评估", "Quality assessments"),
    "governance.tab.reminders": Text("更新提醒", "Update reminders"),
    "governance.dataset": Text("数据集", "Dataset"),
    "governance.version": Text("版本", "Version"),
    "governance.provider": Text("数据提供单位", "Data provider"),
    "governance.status": Text("状态", "Status"),
    "governance.submitted": Text("提交时间", "Submitted"),
    "governance.due": Text("审核期限", "Review due"),
    "governance.none": Text("暂无。", "None."),
    "governance.note": Text("说明", "Note"),
    "governance.decided_by": Text("决定人", "Decided by"),
    "governance.read_only": Text(
        "只有数据主管部门可以作出决定；此处仅供查阅。",
        "Only the authority decides; this page is for reading.",
    ),
    # publication review
    "governance.reviews.title": Text("发布审核", "Publication review"),
    "governance.reviews.intro": Text(
        "新登记的数据集和新版本须经审核通过后方可发布使用；审核期限为提交后 2 个工作日"
        "（青岛第十二条）。期限最近者在前。",
        "New datasets and new versions are published only once passed; the review is due "
        "2 working days after submission (Qingdao art. 12). The nearest deadline comes first.",
    ),
    "governance.reviews.caption": Text("待审核 {count} 项", "{count} waiting"),
    "governance.reviews.filter": Text("显示", "Show"),
    "governance.reviews.show": Text("筛选", "Filter"),
    "governance.reviews.kind": Text("类型", "Kind"),
    "governance.reviews.new_dataset": Text("新数据集", "New dataset"),
    "governance.reviews.new_version": Text("新版本", "New version"),
    "governance.review_status.submitted": Text("待审核", "Waiting for review"),
    "governance.review_status.passed": Text("已通过", "Passed"),
    "governance.review_status.returned": Text("已退回", "Returned"),
    "governance.review_status.all": Text("全部", "All"),
    "governance.review.title": Text(
        "{dataset} 第 {version} 版的发布审核", "Review of {dataset} version {version}"
    ),
    "governance.review.back": Text("返回审核队列", "Back to the review queue"),
    "governance.review.entry": Text("目录条目", "Catalog entry"),
    "governance.review.title_field": Text("名称", "Title"),
    "governance.review.description": Text("描述", "Description"),
    "governance.review.attribute": Text("开放属性", "Open attribute"),
    "governance.review.frequency": Text("更新频率", "Update frequency"),
    "governance.review.conditions": Text("开放条件", "Conditions"),
    "governance.review.legal_basis": Text("法律依据", "Legal basis"),
    "governance.review.contact": Text("联系方式", "Contact"),
    "governance.review.rows": Text("行数", "Rows"),
    "governance.review.version_note": Text("版本说明", "Version note"),
    "governance.review.dictionary": Text("数据字典", "Data dictionary"),
    "governance.review.quality": Text("质量报告", "Quality report"),
    "governance.review.grade": Text("安全分级", "Security grade"),
    "governance.review.grade_approved": Text("已核定", "Approved"),
    "governance.review.grade_proposed": Text("提供单位申报", "Proposed by the provider"),
    "governance.review.grade_none": Text("未定级", "Not graded"),
    "governance.review.outcome": Text("审核结论", "Outcome"),
    "governance.review.pass": Text("通过并发布", "Pass and publish"),
    "governance.review.return": Text("退回", "Return"),
    "governance.review.grade_choice": Text("核定分级", "Grade approved with the pass"),
    "governance.review.grade_keep": Text(
        "按申报（或保持已核定分级）", "As proposed (or keep the approved grade)"
    ),
    "governance.review.grade_hint": Text(
        "首次通过须核定分级；与申报不同的分级须在说明中写明理由。",
        "A first pass approves the grade; a grade other than the proposal needs a reason.",
    ),
    "governance.review.reason": Text("理由或说明", "Reason or note"),
    "governance.review.reason_hint": Text(
        "退回时必填，提供单位将看到该理由。", "Required to return it; the provider sees it."
    ),
    "governance.review.submit": Text("提交审核结论", "Record the review"),
    "governance.review.done": Text("审核结论已记录。", "The review is recorded."),
    # grades
    "governance.grades.title": Text("分级申报", "Grade proposals"),
    "governance.grades.intro": Text(
        "提供单位申报或变更的安全分级，以及尚未定级的数据集；核定前按较严格的分级执行"
        "（无锡第十一、十二条）。",
        "Grades proposed by providers, and datasets not graded yet; until decided the "
        "stricter grade holds (Wuxi art. 11-12).",
    ),
    "governance.grades.approved": Text("已核定分级", "Approved grade"),
    "governance.grades.proposed": Text("申报分级", "Proposed grade"),
    "governance.grades.in_force": Text("现行分级", "Grade in force"),
    "governance.grades.decision": Text("决定", "Decision"),
    "governance.grades.approve": Text("核定", "Approve"),
    "governance.grades.reject": Text("驳回申报", "Reject the proposal"),
    "governance.grades.grade": Text("核定为", "Approve as"),
    "governance.grades.as_proposed": Text("按申报", "As proposed"),
    "governance.grades.note": Text("说明", "Note"),
    "governance.grades.submit": Text("提交", "Decide"),
    "governance.grades.done": Text(
        "已对 {dataset} 的分级作出决定。", "The grade of {dataset} is decided."
    ),
    "governance.grades.unpublished": Text(
        "尚无通过的版本：随发布审核核定分级。",
        "No version passed yet: its grade is approved with the publication review.",
    ),
    # quality assessments
    "governance.quality.title": Text("年度质量评估", "Annual quality assessments"),
    "governance.quality.intro": Text(
        "数据主管部门每年评估已开放数据的质量；提供单位须在 10 个工作日内以最新质量报告答复，"
        "评估不合格的须在 10 个工作日内整改（青岛第十四条；无锡第十三条）。",
        "The authority assesses opened data's quality every year; the provider answers "
        "with its latest quality report within 10 working days, and a failed assessment is "
        "rectified within 10 working days (Qingdao art. 14; Wuxi art. 13).",
    ),
    "governance.quality.open_title": Text("发起质量评估", "Open an assessment"),
    "governance.quality.year": Text("年度", "Year"),
    "governance.quality.request": Text("评估要求", "What to assess"),
    "governance.quality.open_submit": Text("发起评估", "Open the assessment"),
    "governance.quality.opened": Text("已发起质量评估 #{id}。", "Assessment #{id} is open."),
    "governance.quality.list": Text("质量评估", "Assessments"),
    "governance.quality.caption": Text("共 {count} 项评估", "{count} assessments"),
    "governance.quality.one": Text("质量评估 #{id}", "Quality assessment #{id}"),
    "governance.quality.back": Text("返回质量评估", "Back to the assessments"),
    "governance.quality.deadline": Text("答复期限", "Answer due"),
    "governance.quality.opened_by": Text("发起人", "Opened by"),
    "governance.quality.answer": Text("提供单位答复", "The provider's answer"),
    "governance.quality.answer_version": Text("答复所附版本", "Version answering"),
    "governance.quality.answered_by": Text("答复人", "Answered by"),
    "governance.quality.no_answer": Text("尚未答复。", "Not answered yet."),
    "governance.quality.report_passed": Text("质量检查结果", "Quality check"),
    "governance.quality.conclusion": Text("评估结论", "Conclusion"),
    "governance.quality.conclude_title": Text("作出评估结论", "Conclude the assessment"),
    "governance.quality.conclusion.satisfactory": Text("合格", "Satisfactory"),
    "governance.quality.conclusion.rectify": Text("责令整改", "Order a rectification"),
    "governance.quality.conclusion_note": Text("结论说明", "Note"),
    "governance.quality.conclusion_hint": Text(
        "责令整改时必填：写明须整改的问题。", "Required for a rectification: what to put right."
    ),
    "governance.quality.conclude_submit": Text("提交结论", "Record the conclusion"),
    "governance.quality.concluded": Text("评估结论已记录。", "The conclusion is recorded."),
    "governance.quality.concluded_by": Text("结论人", "Concluded by"),
    "governance.quality.status.open": Text("待答复", "Waiting for the answer"),
    "governance.quality.status.answered": Text("待结论", "Answered, waiting for you"),
    "governance.quality.status.rectification": Text("整改中", "Under rectification"),
    "governance.quality.status.satisfactory": Text("合格", "Satisfactory"),
    "governance.quality.filter_all": Text("全部", "All"),
    # update reminders
    "governance.reminders.title": Text("更新提醒", "Update reminders"),
    "governance.reminders.intro": Text(
        "数据集的更新频率即将届满时向提供单位发出的提醒，最新的在前。",
        "Reminders sent to providers whose datasets' update frequency is about to lapse, "
        "newest first.",
    ),
    "governance.reminders.caption": Text("共 {count} 条提醒", "{count} reminders"),
    "governance.reminders.frequency": Text("更新频率", "Update frequency"),
    "governance.reminders.lapses_on": Text("届满日期", "Lapses on"),
    "governance.reminders.reminded_at": Text("提醒时间", "Reminded"),
}
