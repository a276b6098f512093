"""Labels of the error pages (a refused, missing or invalid page)."""

from api.console.text import Text

MESSAGES: dict[str, Text] = {
    "error.401.title": Text("需要登录", "Sign-in required"),
    "error.403.title": Text("无权访问", "Access refused"),
    "error.404.title": Text("未找到", "Not found"),
    "error.409.title": Text("与当前状态冲突", "Conflicts with the current state"),
    "error.422.title": Text("输入有误", "Invalid input"),
    "error.503.title": Text("暂时无法提供", "Temporarily unavailable"),
    "error.other.title": Text("请求未能完成", "The request could not be completed"),
    "error.status": Text("状态码 {status}", "Status {status}"),
    "error.reason": Text("原因", "Reason"),
    "error.sign_in_hint": Text(
        "请先登录，然后再打开此页面。", "Sign in, then open this page again."
    ),
    "error.refused_hint": Text(
        "您的账户角色不能打开此页面；这次拒绝已记入审计日志。",
        "Your account's role cannot open this page; the refusal was written to the audit log.",
    ),
    "error.sign_in_link": Text("登录", "Sign in"),
    "error.back_to_catalog": Text("返回数据目录", "Back to the catalog"),
}
