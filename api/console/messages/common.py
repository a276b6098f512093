"""Labels of the layout and of values every page shows (roles, attributes, frequencies)."""

from api.console.text import Text

MESSAGES: dict[str, Text] = {
    "app.name": Text("公共数据沙箱", "Public data sandbox"),
    "app.tagline": Text(
        "隐私保护的数据开放与计算服务：原始数据不离开平台",
        "Privacy-preserving open data and computation: raw rows never leave the platform",
    ),
    "layout.skip": Text("跳到主要内容", "Skip to main content"),
    "layout.nav_label": Text("主导航", "Main navigation"),
    "layout.lang_label": Text("界面语言", "Language"),
    "layout.visitor": Text("访客（未登录）", "Visitor (not signed in)"),
    "layout.signed_in_as": Text("已登录：{name}（{role}）", "Signed in as {name} ({role})"),
    "layout.footer": Text(
        "本平台的所有脚本、样式和字体均由平台自身提供，不依赖外部网络。",
        "Every script, style and font of this platform is served by the platform itself.",
    ),
    "nav.catalog": Text("数据目录", "Catalog"),
    "nav.api_docs": Text("接口文档", "API documentation"),
    "nav.sign_in": Text("登录", "Sign in"),
    "nav.account": Text("我的账户", "My account"),
    "role.user": Text("数据使用者", "Data user"),
    "role.provider": Text("数据提供单位", "Data provider"),
    "role.reviewer": Text("结果审核员", "Output reviewer"),
    "role.authority": Text("数据主管部门", "Data authority"),
    "role.auditor": Text("审计员", "Auditor"),
    "role.admin": Text("系统管理员", "Administrator"),
    "attribute.unconditional": Text("无条件开放", "Unconditionally open"),
    "attribute.conditional": Text("有条件开放", "Conditionally open"),
    "attribute.closed": Text("不予开放", "Not open"),
    "attribute.unconditional.explain": Text(
        "任何人都可以浏览、查询和下载这些数据。",
        "Anyone may browse, query and download this data.",
    ),
    "attribute.conditional.explain": Text(
        "需申请并获批准后，通过审核的算法模型在平台内使用；原始记录不向任何人提供。",
        "Used inside the platform through vetted models after an approved application; "
        "its raw rows are given to no one.",
    ),
    "attribute.closed.explain": Text(
        "依法不予开放：只公布目录信息和不予开放的法律依据。",
        "Not open by law: only its catalog entry and the legal basis are published.",
    ),
    "frequency.daily": Text("每日", "Daily"),
    "frequency.weekly": Text("每周", "Weekly"),
    "frequency.monthly": Text("每月", "Monthly"),
    "frequency.quarterly": Text("每季度", "Quarterly"),
    "frequency.yearly": Text("每年", "Yearly"),
    "frequency.irregular": Text("不定期", "Irregular"),
    "staleness.stale": Text("未按期更新", "Overdue for update"),
    "staleness.fresh": Text("按期更新", "Up to date"),
    "common.yes": Text("是", "Yes"),
    "common.no": Text("否", "No"),
    "common.none": Text("无", "None"),
}
