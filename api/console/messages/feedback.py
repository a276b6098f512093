"""Labels of dataset ratings and comments (the public dataset page's panel) and of the
provider's moderation queue (Lianyungang art. 18; Chengdu art. 35; Wuxi art. 26).
"""

from api.console.text import Text

MESSAGES: dict[str, Text] = {
    "nav.provider_comments": Text("评论审核", "Comment moderation"),
    "nav.waiting": Text("{count} 条待审核", "{count} waiting"),
    # the dataset page's panel
    "feedback.title": Text("用户评价与评论", "Users' ratings and comments"),
    "feedback.average": Text("平均评分", "Average rating"),
    "feedback.average_value": Text("{average} 分（满分 5 分）", "{average} of 5"),
    "feedback.no_ratings": Text("尚无评分", "Not rated yet"),
    "feedback.count": Text("评分人数", "Ratings"),
    "feedback.comments": Text("评论", "Comments"),
    "feedback.comments_caption": Text(
        "已公开的评论（共 {count} 条，最新的在前）",
        "Published comments ({count}, newest first)",
    ),
    "feedback.no_comments": Text("尚无公开的评论。", "No published comments yet."),
    "feedback.pages": Text("评论分页", "Comment pages"),
    "feedback.page_of": Text("第 {page} 页，共 {pages} 页", "Page {page} of {pages}"),
    "feedback.newer": Text("较新的评论", "Newer comments"),
    "feedback.older": Text("较早的评论", "Older comments"),
    "feedback.sign_in": Text("登录后可评分和评论", "Sign in to rate and comment"),
    "feedback.rate_title": Text("您的评分", "Your rating"),
    "feedback.your_rating": Text("您当前的评分：{stars} / 5", "Your current rating: {stars} of 5"),
    "feedback.not_rated": Text("您尚未评分。", "You have not rated this dataset."),
    "feedback.stars": Text("评分（1 至 5 星）", "Stars (1 to 5)"),
    "feedback.star": Text("{stars} 星", "{stars} stars"),
    "feedback.star_one": Text("1 星", "1 star"),
    "feedback.rate_submit": Text("保存评分", "Save my rating"),
    "feedback.rated": Text("您的评分已保存。", "Your rating is saved."),
    "feedback.comment_title": Text("发表评论", "Write a comment"),
    "feedback.comment_label": Text("评论内容", "Your comment"),
    "feedback.comment_hint": Text(
        "最多 {limit} 字。评论经数据提供单位审核后公开。",
        "At most {limit} characters. Comments are published once the data provider "
        "has reviewed them.",
    ),
    "feedback.comment_submit": Text("提交评论", "Send the comment"),
    "feedback.commented": Text(
        "评论已提交，等待数据提供单位审核。",
        "Your comment is sent; it waits for the provider's review.",
    ),
    "feedback.mine": Text("我的评论", "My comments"),
    "feedback.mine_caption": Text("我提交的评论及其审核状态", "My comments and their review"),
    "feedback.when": Text("提交时间", "Sent"),
    "feedback.text": Text("评论", "Comment"),
    "feedback.state": Text("状态", "State"),
    "feedback.state.pending": Text("等待数据提供单位审核", "Waiting for the provider's review"),
    "feedback.state.approved": Text("已公开", "Published"),
    "feedback.state.hidden": Text("已被数据提供单位隐藏", "Hidden by the provider"),
    "feedback.hidden_reason": Text("理由：{reason}", "Reason: {reason}"),
    "feedback.error_title": Text("未能保存", "Not saved"),
    # the provider's moderation queue
    "feedback.queue.title": Text("评论审核", "Comment moderation"),
    "feedback.queue.intro": Text(
        "用户对本单位数据集的评论，经您审核通过后公开；隐藏评论须写明理由（评论人可见）。"
        "审核操作均记入审计日志。",
        "Users' comments on your organisation's datasets are published once you approve "
        "them; hiding one needs a reason, which its author sees. Every decision is audited.",
    ),
    "feedback.queue.filter": Text("显示", "Show"),
    "feedback.queue.show": Text("筛选", "Filter"),
    "feedback.queue.status.pending": Text("待审核", "Waiting for review"),
    "feedback.queue.status.approved": Text("已公开", "Published"),
    "feedback.queue.status.hidden": Text("已隐藏", "Hidden"),
    "feedback.queue.caption": Text("{status}：{count} 条", "{status}: {count}"),
    "feedback.queue.none": Text("没有此状态的评论。", "No comments in this state."),
    "feedback.queue.comment": Text("评论 #{id}", "Comment #{id}"),
    "feedback.queue.dataset": Text("数据集", "Dataset"),
    "feedback.queue.author": Text("评论人", "Author"),
    "feedback.queue.submitted": Text("提交时间", "Sent"),
    "feedback.queue.moderated": Text("审核时间", "Moderated"),
    "feedback.queue.reason": Text("隐藏理由", "Reason for hiding"),
    "feedback.queue.reason_hint": Text(
        "隐藏时必填；评论人可看到此理由。", "Required to hide; the author sees it."
    ),
    "feedback.queue.approve": Text("通过并公开", "Approve and publish"),
    "feedback.queue.hide": Text("隐藏", "Hide"),
    "feedback.queue.done.approve": Text(
        "评论 #{id} 已公开。", "Comment #{id} is approved and published."
    ),
    "feedback.queue.done.hide": Text("评论 #{id} 已隐藏。", "Comment #{id} is hidden."),
}
