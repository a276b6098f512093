"""Labels of the reviewer's pages: the queue of held results and one review."""

from api.console.text import Text

MESSAGES: dict[str, Text] = {
    "nav.review_queue": Text("结果审核", "Result review"),
    "review.queue.title": Text("待审核的结果", "Results waiting for review"),
    "review.queue.intro": Text(
        "通过输出检查的结果在此等待审核，最早的在前。",
        "Results that passed the output checks wait here, oldest first.",
    ),
    "review.queue.caption": Text("{count} 个结果待审核", "{count} results waiting"),
    "review.queue.none": Text("没有等待审核的结果。", "No result waits for review."),
    "review.job": Text("作业", "Job"),
    "review.datasets": Text("数据集", "Datasets"),
    "review.author": Text("提交人", "Author"),
    "review.grant": Text("授权", "Grant"),
    "review.model": Text("模型", "Model"),
    "review.age": Text("等待（工作日）", "Waiting (working days)"),
    "review.open": Text("审核", "Review"),
    "review.title": Text("审核作业 #{job} 的结果", "Review of job #{job}'s result"),
    "review.state": Text("状态", "State"),
    "review.source": Text("模型源代码（只读）", "The model's source (read-only)"),
    "review.params": Text("参数", "Parameters"),
    "review.checks": Text("自动披露检查报告", "Automated disclosure-check report"),
    "review.checks.none": Text("没有检查报告。", "No check report."),
    "review.held": Text("待发布的结果", "The held result, as it would be released"),
    "review.withheld": Text(
        "监督人员看不到未发布的结果内容。", "Oversight does not read an unreleased result."
    ),
    "review.budget": Text("授权的隐私预算", "The grant's privacy budget"),
    "review.budget.none": Text("无法查看该授权的预算。", "The grant's budget is not shown to you."),
    "review.spent": Text("已用", "Spent"),
    "review.remaining": Text("剩余", "Remaining"),
    "review.limit": Text("上限", "Limit"),
    "review.earlier": Text(
        "同一用户在相同数据集上的已发布结果", "Earlier releases on the same datasets"
    ),
    "review.earlier.none": Text("没有已发布的结果。", "No earlier release."),
    "review.released_at": Text("发布时间", "Released"),
    "review.decisions": Text("已有的审核决定", "Decisions so far"),
    "review.decisions.none": Text("尚无审核决定。", "No decision yet."),
    "review.approvals": Text(
        "发布需要 {needed} 名不同审核人批准。",
        "A release needs {needed} distinct reviewers' approval.",
    ),
    "review.reviewer": Text("审核人", "Reviewer"),
    "review.outcome": Text("决定", "Decision"),
    "review.reason": Text("理由（拒绝或退回时必填）", "Reason (required to reject or return)"),
    "review.approve": Text("批准发布", "Approve"),
    "review.reject": Text("拒绝", "Reject"),
    "review.return": Text("退回修改", "Return for changes"),
    "review.submit": Text("提交决定", "Submit the decision"),
    "review.frozen": Text("审核已冻结：{why}", "The review is frozen: {why}"),
    "review.cannot_decide": Text(
        "你不能对该结果作出决定（已决定过、是作业提交人，或结果不再等待审核）。",
        "You cannot decide on this result (you decided already, it is your own job, "
        "or it no longer waits for review).",
    ),
    "review.already": Text(
        "你已作出决定（{outcome}），发布还需其他审核人批准。",
        "You decided already ({outcome}); the release waits for another reviewer.",
    ),
    "review.done": Text("已记录你的决定：{outcome}。", "Your decision is recorded: {outcome}."),
    "review.back": Text("返回审核队列", "Back to the queue"),
}
