"""Words of the work pages for opening plans, catalog tasks after changes of law and
public reports (the provider's and the authority's side; the public list and the visitor's
report form are participation's).

Entry progress, report kinds and the plan table's columns reuse ``participation.*``;
deadlines, stages and answers reuse ``pcases.*``.
"""

from api.console.text import Text

MESSAGES: dict[str, Text] = {
    "nav.ptr": Text("开放清单、法规变更与举报", "Plans, law changes, reports"),
    "ptr.tabs": Text("开放与监督事项", "Plans, law changes and reports"),
    "ptr.tab.plans": Text("开放清单", "Opening plans"),
    "ptr.tab.law": Text("法规变更与目录更新", "Changes of law"),
    "ptr.tab.reports": Text("公众举报", "Public reports"),
    "ptr.choose": Text("请选择", "Choose"),
    "ptr.due": Text("期限", "Due"),
    "ptr.filter": Text("按状态筛选", "Filter by status"),
    # opening plans
    "ptr.plans.title": Text("开放清单编制与审核", "Opening plans: drafting and review"),
    "ptr.plans.intro_provider": Text(
        "本单位各年度的开放责任清单：逐项填写数据集及开放时限，编制完成后提交主管部门审核；"
        "退回的清单可修改后再次提交。",
        "Your organisation's opening plans, year by year: list each dataset with the date "
        "by which it is opened, then submit the plan for the authority's review; a returned "
        "plan can be edited and submitted again.",
    ),
    "ptr.plans.intro_authority": Text(
        "各开放主体的开放清单：审核已提交的清单，通过后公布，或附意见退回；已公布的清单可由"
        "主管部门调整（删除条目须说明理由）。",
        "Every provider's opening plans: review the submitted ones and publish them or "
        "return them with a note; a published plan is amended by the authority (taking an "
        "entry out needs its reason).",
    ),
    "ptr.plans.public_link": Text("查看已公布的清单", "See the published plans"),
    "ptr.plans.caption": Text("开放清单（{count} 份）", "Opening plans ({count})"),
    "ptr.plans.none": Text("尚无开放清单。", "No opening plan yet."),
    "ptr.plans.plan": Text("清单", "Plan"),
    "ptr.plans.one": Text("清单 #{id}", "Plan #{id}"),
    "ptr.plans.heading": Text(
        "{organisation} {year} 年开放清单", "{organisation}: opening plan {year}"
    ),
    "ptr.plans.back": Text("返回开放清单列表", "Back to the opening plans"),
    "ptr.plans.organisation": Text("开放主体", "Organisation"),
    "ptr.plans.year": Text("年度", "Year"),
    "ptr.plans.entries": Text("清单条目", "Entries"),
    "ptr.plans.no_entries": Text("清单尚无条目。", "The plan has no entries yet."),
    "ptr.plans.progress": Text("完成情况", "Progress"),
    "ptr.plans.created": Text("编制", "Drawn up"),
    "ptr.plans.submitted": Text("提交时间", "Submitted"),
    "ptr.plans.published": Text("公布", "Published"),
    "ptr.plans.note": Text("审核意见", "Review note"),
    "ptr.plans.new_entry": Text("添加条目", "Add an entry"),
    "ptr.plans.new_entry_hint": Text(
        "该年度的清单在添加第一个条目时建立。",
        "The plan for the year is made when its first entry is added.",
    ),
    "ptr.plans.amend": Text("调整已公布的清单：添加条目", "Amend the published plan: add an entry"),
    "ptr.plans.dataset": Text("数据集名称", "Dataset name"),
    "ptr.plans.dataset_hint": Text(
        "登记时将使用的名称（可尚未登记）：小写字母、数字和下划线，以字母开头。",
        "The name it is (or will be) registered under: lower-case letters, digits and _, "
        "starting with a letter.",
    ),
    "ptr.plans.title_field": Text("数据集标题", "Dataset title"),
    "ptr.plans.add": Text("添加到清单", "Add to the plan"),
    "ptr.plans.remove": Text("删除", "Remove"),
    "ptr.plans.remove_named": Text("从清单删除 {dataset}", "Remove {dataset} from the plan"),
    "ptr.plans.remove_reason": Text("删除 {dataset} 的理由", "Reason to remove {dataset}"),
    "ptr.plans.submit_heading": Text("提交审核", "Submit for review"),
    "ptr.plans.submit_hint": Text(
        "提交后清单交主管部门审核，审核期间不能修改。",
        "Once submitted, the authority reviews the plan; it cannot be edited meanwhile.",
    ),
    "ptr.plans.submit": Text("提交清单", "Submit the plan"),
    "ptr.plans.decision_heading": Text("审核清单", "Review the plan"),
    "ptr.plans.publish": Text("通过并公布", "Publish"),
    "ptr.plans.return": Text("退回修改", "Return for changes"),
    "ptr.plans.note_field": Text("审核意见（退回时必填）", "Note (required to return)"),
    "ptr.plans.decide": Text("记录审核结果", "Record the review"),
    "ptr.plans.done.entry": Text("条目已添加。", "The entry was added."),
    "ptr.plans.done.remove": Text("条目已删除。", "The entry was removed."),
    "ptr.plans.done.submit": Text(
        "清单已提交，等待主管部门审核。", "The plan was submitted for the authority's review."
    ),
    "ptr.plans.done.publish": Text("清单已公布。", "The plan is published."),
    "ptr.plans.done.return": Text("清单已退回修改。", "The plan was returned for changes."),
    "ptr.plan_status.draft": Text("编制中", "Draft"),
    "ptr.plan_status.submitted": Text("待审核", "Submitted"),
    "ptr.plan_status.published": Text("已公布", "Published"),
    # changes of law
    "ptr.law.title": Text("法规变更与目录更新", "Changes of law and catalog updates"),
    "ptr.law.intro": Text(
        "法律法规修订或行政职能调整后，相关数据目录须在 15 个工作日内更新。每个受影响的数据集"
        "生成一项更新任务，由其提供单位（或主管部门）办结：注明所作的目录变更，或说明无需变更"
        "的理由。",
        "After a law is revised or a function changes, the catalog is updated within 15 "
        "working days. Each affected dataset gets a task, closed by its provider (or the "
        "authority) with the catalog change made, or with the reason no change is needed.",
    ),
    "ptr.law.tasks": Text("目录更新任务", "Catalog tasks"),
    "ptr.law.tasks_caption": Text("目录更新任务（{count} 项）", "Catalog tasks ({count})"),
    "ptr.law.no_tasks": Text("没有目录更新任务。", "No catalog task."),
    "ptr.law.task": Text("任务", "Task"),
    "ptr.law.task_one": Text("任务 #{id}", "Task #{id}"),
    "ptr.law.task_heading": Text("目录更新任务 #{id}：{dataset}", "Catalog task #{id}: {dataset}"),
    "ptr.law.provider": Text("提供单位", "Provider"),
    "ptr.law.changes": Text("已登记的法规变更", "Recorded changes"),
    "ptr.law.no_changes": Text("尚未登记法规变更。", "No change of law is recorded."),
    "ptr.law.change_one": Text("法规变更：{citation}", "Change of law: {citation}"),
    "ptr.law.back": Text("返回法规变更", "Back to the changes of law"),
    "ptr.law.citation": Text("法规或文件名称", "Citation"),
    "ptr.law.kind": Text("变更类型", "Kind of change"),
    "ptr.law.kind.law_revision": Text("法律法规修订", "A law or regulation revised"),
    "ptr.law.kind.function_change": Text("行政职能调整", "An administrative function changed"),
    "ptr.law.changed_on": Text("变更日期", "Day of the change"),
    "ptr.law.recorded": Text("登记", "Recorded"),
    "ptr.law.summary": Text("内容摘要", "Summary"),
    "ptr.law.record": Text("登记法规变更", "Record a change of law"),
    "ptr.law.record_hint": Text(
        "列出受影响的数据集，或勾选整个提供单位（其全部数据集）；期限自变更日期起算。",
        "Name the affected datasets, or tick whole provider organisations (each of their "
        "datasets); the deadline runs from the day of the change.",
    ),
    "ptr.law.datasets": Text("受影响的数据集", "Affected datasets"),
    "ptr.law.datasets_hint": Text(
        "数据集名称，用逗号或空格分隔。", "Dataset names, separated by commas or spaces."
    ),
    "ptr.law.organisations": Text("受影响的提供单位", "Affected provider organisations"),
    "ptr.law.record_submit": Text("登记并生成任务", "Record and open the tasks"),
    "ptr.law.recorded_done": Text(
        "已登记，生成 {count} 项目录更新任务。", "Recorded: {count} catalog tasks were opened."
    ),
    "ptr.law.close": Text("办结任务", "Close the task"),
    "ptr.law.resolution": Text("办理结果", "Resolution"),
    "ptr.law.reference": Text("变更编号（可选）", "Reference (optional)"),
    "ptr.law.reference_hint": Text(
        "开放属性变更：其申请编号（必填）；数据集策略：文件编号；新版本：版本号。留空时取变更"
        "日期以来最新的一项。无需变更时不填。",
        "An attribute change: its request number (required); a policy: its document "
        "number; a new version: its version number. Left blank, the newest since the day "
        "of the change counts. None for no change.",
    ),
    "ptr.law.reference_value": Text("编号 {reference}", "reference {reference}"),
    "ptr.law.reason": Text("说明（无需变更时必填）", "Reason (required for no change)"),
    "ptr.law.close_submit": Text("办结", "Close the task"),
    "ptr.law.closed_done": Text("任务已办结。", "The task is closed."),
    "ptr.law.closure": Text("办结情况", "Closure"),
    "ptr.law.closed_by": Text("办结人", "Closed by"),
    "ptr.law.filter.open": Text("待办", "Open"),
    "ptr.law.filter.overdue": Text("已超期", "Overdue"),
    "ptr.law.filter.closed": Text("已办结", "Closed"),
    "ptr.task_status.open": Text("待办", "Open"),
    "ptr.task_status.closed": Text("已办结", "Closed"),
    "ptr.resolution.attribute_change": Text("已申请变更开放属性", "Open attribute changed"),
    "ptr.resolution.policy_change": Text("已设定新的数据集策略", "New dataset policy"),
    "ptr.resolution.new_version": Text("已发布新版本", "New version"),
    "ptr.resolution.no_change": Text("无需变更", "No change needed"),
    # public reports
    "ptr.reports.title": Text("公众举报处理", "Public reports"),
    "ptr.reports.intro": Text(
        "公众对数据滥用和安全问题的举报，转交数据提供单位和主管部门，须在 10 个工作日内答复。"
        "主管部门可据此立案投诉，提供单位可要求相关用户整改。",
        "Reports of misuse and of security problems, routed to the data's provider and the "
        "authority, answered within 10 working days. From one the authority may open a "
        "complaint, the provider may ask the user it names to rectify.",
    ),
    "ptr.reports.all": Text("全部", "All"),
    "ptr.reports.caption": Text("举报（{count} 件）", "Reports ({count})"),
    "ptr.reports.none": Text("没有转交的举报。", "No report was routed here."),
    "ptr.reports.report": Text("举报", "Report"),
    "ptr.reports.one": Text("举报 #{id}", "Report #{id}"),
    "ptr.reports.back": Text("返回举报列表", "Back to the reports"),
    "ptr.reports.about": Text("对象", "About"),
    "ptr.reports.product": Text("数据产品 #{id}", "Data product #{id}"),
    "ptr.reports.platform": Text("平台本身", "The platform itself"),
    "ptr.reports.reporter": Text("举报人", "Reporter"),
    "ptr.reports.visitor": Text("未登录访客", "A visitor (not signed in)"),
    "ptr.reports.contact": Text("联系方式", "Contact"),
    "ptr.reports.answer_form": Text("答复举报", "Answer the report"),
    "ptr.reports.complaint_kind": Text(
        "投诉类型（立案投诉时）", "Complaint kind (to open a complaint)"
    ),
    "ptr.reports.complaint_hint": Text(
        "立案后，投诉转交数据提供单位在 10 个工作日内答复。",
        "The complaint goes to the data's provider, who answers it within 10 working days.",
    ),
    "ptr.reports.user_id": Text("要求整改的用户", "User to rectify"),
    "ptr.reports.holder": Text("{name}（用户 #{id}）", "{name} (user #{id})"),
    "ptr.reports.no_holders": Text(
        "没有用户持有本单位该数据的有效授权，无从要求整改。",
        "No user holds an active grant of your organisation on this data: there is no one "
        "to ask to rectify.",
    ),
    "ptr.reports.user_hint": Text(
        "持有本单位该数据有效授权的用户；仅在要求整改时选择：其使用本单位数据的授权将暂停，"
        "直至整改完成。",
        "The holders of your organisation's active grants on this data; chosen only to ask "
        "for a rectification: that user's grants on your data are suspended until it is "
        "done.",
    ),
    "ptr.reports.submit": Text("提交答复", "Send the answer"),
    "ptr.reports.done": Text("已答复。", "The report is answered."),
    "ptr.reports.complaint": Text("已立案投诉", "Complaint opened"),
    "ptr.reports.rectified": Text("已要求整改", "Rectification asked of"),
    "ptr.reports.user": Text("用户 #{id}", "user #{id}"),
    "ptr.report_status.open": Text("待答复", "Open"),
    "ptr.report_status.answered": Text("已答复", "Answered"),
    "ptr.outcome.unfounded": Text("查无实据", "Unfounded"),
    "ptr.outcome.resolved": Text("已处理", "Resolved"),
    "ptr.outcome.complaint": Text("已立案投诉", "Complaint opened"),
    "ptr.outcome.rectification": Text("已要求整改", "Rectification asked"),
    "ptr.outcome_choice.unfounded": Text("查无实据", "Unfounded"),
    "ptr.outcome_choice.resolved": Text("已处理（说明如何处理）", "Resolved (say how)"),
    "ptr.outcome_choice.complaint": Text("立案投诉", "Open a complaint about the dataset"),
    "ptr.outcome_choice.rectification": Text("要求用户整改", "Ask a user to rectify"),
}
