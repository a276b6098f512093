"""Labels of the sign-in page and of the account page."""

from api.console.text import Text

MESSAGES: dict[str, Text] = {
    "signin.title": Text("登录", "Sign in"),
    "signin.intro": Text(
        "使用平台账户登录，以申请数据、提交模型或处理审核。",
        "Sign in with your platform account to apply for data, submit models or review.",
    ),
    "signin.public_note": Text(
        "浏览数据目录无需登录。", "You can browse the catalog without signing in."
    ),
    "signin.username": Text("用户名", "Username"),
    "signin.password": Text("密码", "Password"),
    "signin.submit": Text("登录", "Sign in"),
    "signin.failed": Text("用户名或密码不正确", "The username or password is not correct"),
    "signin.sign_out": Text("退出登录", "Sign out"),
    "account.title": Text("我的账户", "My account"),
    "account.username": Text("用户名", "Username"),
    "account.display_name": Text("姓名", "Name"),
    "account.role": Text("角色", "Role"),
    "account.organisation": Text("所属单位", "Organisation"),
    "account.created": Text("创建时间", "Created"),
    "account.eligibility": Text("申请资格信息", "Eligibility facts"),
    "account.eligibility.none": Text("尚未记录。", "None recorded yet."),
    "docs.title": Text("接口文档", "API documentation"),
    "docs.noscript": Text(
        "交互式接口文档需要 JavaScript；也可以直接下载 OpenAPI 文档。",
        "The interactive documentation needs JavaScript; the OpenAPI document can be "
        "downloaded directly.",
    ),
    "docs.download": Text("下载 OpenAPI 文档（JSON）", "Download the OpenAPI document (JSON)"),
}
