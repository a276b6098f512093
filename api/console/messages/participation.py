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
}
