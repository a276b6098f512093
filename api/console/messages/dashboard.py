"""Labels of the statistics dashboard."""

from api.console.text import Text

MESSAGES: dict[str, Text] = {
    "nav.dashboard": Text("统计看板", "Statistics"),
    "dashboard.title": Text("平台统计", "Platform statistics"),
    "dashboard.intro": Text(
        "统计时间：{at}（UTC）。每个图表下方附有数据表。",
        "Figures as of {at} (UTC). Each chart's numbers are in the table below it.",
    ),
    "dashboard.see_table": Text("数据见下表", "numbers in the table below"),
    "dashboard.suspended": Text("暂停中的数据集", "Datasets suspended"),
    "dashboard.withdrawn": Text("已撤回的数据集", "Datasets withdrawn"),
    "dashboard.reports_missing": Text("未按期提交的报告", "Reports missing"),
    "dashboard.data_products": Text("数据产品", "Data products"),
    "dashboard.applications": Text("申请与需求（按状态）", "Applications and requests by status"),
    "dashboard.status": Text("状态", "Status"),
    "dashboard.applications_series": Text("数据申请", "Applications"),
    "dashboard.demands_series": Text("数据需求", "Requests"),
    "dashboard.deadlines": Text(
        "办理时长与期限（工作日）", "Response times against deadlines (working days)"
    ),
    "dashboard.stage": Text("环节", "Stage"),
    "dashboard.allowed": Text("期限", "Allowed"),
    "dashboard.median": Text("中位用时", "Median"),
    "dashboard.worst": Text("最长用时", "Worst"),
    "dashboard.met": Text("按期办结", "Met"),
    "dashboard.missed": Text("超期办结", "Missed"),
    "dashboard.open_overdue": Text("未办结且超期", "Open and overdue"),
    "dashboard.attributes": Text("数据集（按开放属性）", "Datasets by open attribute"),
    "dashboard.attribute": Text("开放属性", "Open attribute"),
    "dashboard.datasets": Text("数据集数量", "Datasets"),
    "dashboard.complaints": Text("投诉与异议", "Complaints and objections"),
    "dashboard.case": Text("类别", "Kind"),
    "dashboard.open": Text("办理中", "Open"),
    "dashboard.overdue": Text("超期", "Overdue"),
    "dashboard.answered": Text("已答复", "Answered"),
    "dashboard.complaints_row": Text("投诉", "Complaints"),
    "dashboard.objections_row": Text("异议", "Objections"),
    "dashboard.spending": Text(
        "各数据集隐私预算累计消耗", "Privacy budget spent per dataset over time"
    ),
    "dashboard.spending_none": Text("尚无预算消耗。", "No budget has been spent yet."),
    "dashboard.day": Text("日期", "Day"),
    "dashboard.budgets": Text("各数据集的预算", "Each dataset's budget"),
    "dashboard.dataset": Text("数据集", "Dataset"),
    "dashboard.accounting": Text("计量方式", "Accounting"),
    "dashboard.spent": Text("已消耗", "Spent"),
    "dashboard.limit": Text("上限", "Limit"),
    "dashboard.charges": Text("扣减次数", "Charges"),
}
