"""Words of the public opening-plan and data-product pages."""

from api.console.text import Text

MESSAGES: dict[str, Text] = {
    "nav.opening_plans": Text("开放清单", "Opening plans"),
    "nav.data_products": Text("数据产品", "Data products"),
    "participation.plans_title": Text("公共数据开放清单", "Opening plans"),
    "participation.plans_intro": Text(
        "各数据开放主体本年度应开放的数据及其时限，经主管部门审核后公布。",
        "The datasets each provider must open this year and by when, published once the "
        "authority reviewed the list.",
    ),
    "participation.no_plans": Text("尚未公布开放清单。", "No opening plan is published yet."),
    "participation.plan_heading": Text("{organisation}（{year} 年）", "{organisation}, {year}"),
    "participation.published_on": Text("公布于 {day}", "Published on {day}"),
    "participation.dataset": Text("数据集", "Dataset"),
    "participation.entry_title": Text("名称", "Title"),
    "participation.attribute": Text("开放属性", "Open attribute"),
    "participation.due_on": Text("开放时限", "Open by"),
    "participation.state": Text("进度", "Progress"),
    "participation.state.pending": Text("待开放", "Pending"),
    "participation.state.met": Text("已按期开放", "Opened on time"),
    "participation.state.met_late": Text("逾期后开放", "Opened late"),
    "participation.state.overdue": Text("已逾期", "Overdue"),
    "participation.met_on": Text("开放于 {day}", "opened on {day}"),
    "participation.products_title": Text("数据产品", "Data products"),
    "participation.products_intro": Text(
        "利用开放数据形成并公布的数据产品，注明数据来源和日期。",
        "Data products made from opened data, published with their sources and dates.",
    ),
    "participation.no_products": Text("尚未公布数据产品。", "No data product is published yet."),
    "participation.publisher": Text("发布者", "Publisher"),
    "participation.sources": Text("数据来源", "Sources"),
    "participation.source": Text(
        "{dataset} 第 {version} 版（{day}）", "{dataset} version {version} ({day})"
    ),
    "participation.published_at": Text("发布日期", "Published"),
    "nav.report": Text("举报", "Report a problem"),
    "participation.report_title": Text(
        "举报数据滥用或安全问题", "Report misuse or a security problem"
    ),
    "participation.report_intro": Text(
        "任何人都可以举报违法和不当利用公共数据的行为，或报告发现的数据安全问题。举报将转交数据"
        "提供单位和主管部门，在 10 个工作日内答复。",
        "Anyone may report unlawful or improper use of public data, or a data-security "
        "problem. The report goes to the data's provider and to the authority, who answer "
        "within 10 working days.",
    ),
    "participation.kind": Text("类型", "Kind"),
    "participation.kind.misuse": Text("数据滥用", "Misuse of data"),
    "participation.kind.security": Text("安全问题", "Security problem"),
    "participation.report_dataset": Text("数据集名称（可选）", "Dataset name (optional)"),
    "participation.report_product": Text("数据产品编号（可选）", "Data product number (optional)"),
    "participation.description": Text("情况说明", "What happened"),
    "participation.contact": Text(
        "联系方式（电子邮箱或电话）", "Contact (an e-mail address or a phone number)"
    ),
    "participation.contact_hint_visitor": Text(
        "未登录时必填，用于答复。", "Required when you are not signed in: the answer is sent there."
    ),
    "participation.contact_hint_account": Text(
        "已登录：答复将通知您的账户。", "Signed in: the answer comes to your inbox."
    ),
    "participation.report_submit": Text("提交举报", "Send the report"),
    "participation.report_error": Text("未能提交", "Not sent"),
    "participation.report_filed": Text(
        "举报 {id} 已提交，将于 {day} 前答复。", "Report {id} was sent; it is answered by {day}."
    ),
}
