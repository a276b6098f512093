"""Labels of the catalog page: search, filters, results."""

from api.console.text import Text

MESSAGES: dict[str, Text] = {
    "catalog.title": Text("数据目录", "Data catalog"),
    "catalog.intro": Text(
        "浏览各单位开放的公共数据。无需登录即可查看目录、数据字典、质量报告和预览。",
        "Browse the public data the providers open. The catalog, dictionaries, quality "
        "reports and previews need no sign-in.",
    ),
    "catalog.filters": Text("搜索与筛选", "Search and filters"),
    "catalog.search": Text("关键词", "Search"),
    "catalog.search_hint": Text(
        "匹配名称、标题、说明、提供单位或字段",
        "Matches name, title, description, provider or a column",
    ),
    "catalog.attribute": Text("开放属性", "Open attribute"),
    "catalog.provider": Text("提供单位", "Provider"),
    "catalog.frequency": Text("更新频率", "Update frequency"),
    "catalog.staleness": Text("更新时效", "Timeliness"),
    "catalog.updated_within": Text("最近更新（天）", "Updated within (days)"),
    "catalog.updated_within_hint": Text(
        "最新版本在多少天内发布，1 到 3650 的整数",
        "Days since the newest version, a whole number from 1 to 3650",
    ),
    "catalog.any": Text("全部", "Any"),
    "catalog.apply": Text("筛选", "Apply filters"),
    "catalog.reset": Text("清除筛选", "Clear filters"),
    "catalog.results": Text("检索结果", "Results"),
    "catalog.count": Text("共 {count} 个数据集", "Datasets found: {count}"),
    "catalog.empty": Text("没有符合条件的数据集。", "No dataset matches these filters."),
    "catalog.errors_title": Text(
        "以下筛选条件无法使用，已忽略", "These filters could not be used and were ignored"
    ),
    "catalog.error.choice": Text(
        "“{value}”不是可选的值", "\u201c{value}\u201d is not one of the choices"
    ),
    "catalog.error.too_long": Text(
        "关键词最多 {max} 个字符", "The search may have at most {max} characters"
    ),
    "catalog.error.days": Text(
        "“{value}”不是 1 到 {max} 之间的整数",
        "\u201c{value}\u201d is not a whole number from 1 to {max}",
    ),
    "catalog.latest": Text("最新版本", "Latest version"),
    "catalog.version_on": Text("第 {version} 版（{date}）", "Version {version} ({date})"),
    "catalog.no_versions": Text("尚无数据版本", "No data yet"),
}
