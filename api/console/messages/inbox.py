"""Labels of the inbox page: notifications, marking them read, notification preferences."""

from api.console.text import Text

MESSAGES: dict[str, Text] = {
    "nav.inbox": Text("通知", "Inbox"),
    "nav.unread": Text("{count} 条未读", "{count} unread"),
    "inbox.title": Text("通知", "Notifications"),
    "inbox.intro": Text(
        "审批结果、退回、期限提醒、暂停、结果发布和待审核事项都会出现在这里；"
        "通知只写编号、数据集名称和日期，详情请打开相应页面查看。",
        "Decisions, returns, deadline reminders, suspensions, released results and reviews "
        "waiting for you arrive here. A notification names ids, datasets and dates only: open "
        "its page for the details.",
    ),
    "inbox.caption": Text(
        "{count} 条通知，{unread} 条未读", "{count} notifications, {unread} unread"
    ),
    "inbox.none": Text("没有通知。", "No notifications."),
    "inbox.all": Text("全部", "All"),
    "inbox.unread_only": Text("仅未读", "Unread only"),
    "inbox.filter_label": Text("显示", "Show"),
    "inbox.when": Text("时间", "When"),
    "inbox.what": Text("通知", "Notification"),
    "inbox.state": Text("状态", "State"),
    "inbox.unread": Text("未读", "Unread"),
    "inbox.read": Text("已读", "Read"),
    "inbox.open": Text("查看", "Open"),
    "inbox.mark_read": Text("标为已读", "Mark read"),
    "inbox.mark_all": Text("全部标为已读", "Mark all read"),
    "inbox.marked": Text("已标为已读。", "Marked read."),
    "inbox.newer": Text("较新的", "Newer"),
    "inbox.older": Text("较早的", "Older"),
    "inbox.pages": Text("分页", "Pages"),
    "inbox.prefs.title": Text("通知设置", "Notification preferences"),
    "inbox.prefs.intro": Text(
        "站内通知总会收到；可以按类别选择是否同时发送电子邮件。",
        "The inbox always receives every notification; choose which kinds are also e-mailed.",
    ),
    "inbox.prefs.address": Text("邮件地址：{address}", "E-mail address: {address}"),
    "inbox.prefs.no_address": Text(
        "您的账户没有邮件地址，不会发送邮件。",
        "Your account has no e-mail address: nothing is e-mailed.",
    ),
    "inbox.prefs.language": Text("通知语言（邮件）", "Notification language (e-mail)"),
    "inbox.prefs.email": Text("发送邮件的类别", "Kinds also sent by e-mail"),
    "inbox.prefs.save": Text("保存设置", "Save preferences"),
    "inbox.prefs.saved": Text("设置已保存。", "Preferences saved."),
    "inbox.lang.zh": Text("中文", "Chinese"),
    "inbox.lang.en": Text("英文", "English"),
    "inbox.kind.decision": Text("审批决定", "Decisions"),
    "inbox.kind.returned": Text("退回修改", "Returned for changes"),
    "inbox.kind.deadline_approaching": Text("期限将至", "Deadlines approaching"),
    "inbox.kind.deadline_passed": Text("已逾期", "Deadlines passed"),
    "inbox.kind.reminder": Text("提醒", "Reminders"),
    "inbox.kind.suspension": Text("数据集暂停", "Suspensions"),
    "inbox.kind.result_ready": Text("结果已发布", "Results released"),
    "inbox.kind.review_waiting": Text("待审核结果", "Reviews waiting"),
    "inbox.kind.case_received": Text("待答复事项", "Cases to answer"),
    "inbox.kind.case_answered": Text("已答复事项", "Cases answered"),
}
