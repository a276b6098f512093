"""Labels of the auditor's pages: the audit log, the chain's verification, the trace."""

from api.console.text import Text

MESSAGES: dict[str, Text] = {
    "nav.audit_log": Text("审计日志", "Audit log"),
    "nav.audit_verify": Text("校验日志链", "Verify the chain"),
    "nav.audit_trace": Text("数据追溯", "Dataset trace"),
    "auditor.log.title": Text("审计日志", "Audit log"),
    "auditor.log.intro": Text(
        "每次查阅本身也记入日志。", "Every read of the log is itself logged."
    ),
    "auditor.log.export": Text("导出全部日志（JSON Lines）", "Export the whole log (JSON lines)"),
    "auditor.log.checkpoints": Text("导出签名检查点", "Export the signed checkpoints"),
    "auditor.log.filters": Text("筛选", "Filters"),
    "auditor.log.action": Text("操作", "Action"),
    "auditor.log.actor": Text("操作人", "Actor"),
    "auditor.log.object_type": Text("对象类型", "Object type"),
    "auditor.log.object_id": Text("对象标识", "Object id"),
    "auditor.log.object": Text("对象", "Object"),
    "auditor.log.since": Text("起始日期（UTC）", "From (UTC date)"),
    "auditor.log.until": Text("截止日期（UTC）", "Until (UTC date)"),
    "auditor.log.page_size": Text("每页条数", "Per page"),
    "auditor.log.apply": Text("筛选", "Apply"),
    "auditor.log.clear": Text("清除筛选", "Clear"),
    "auditor.log.caption": Text("本页 {count} 条记录", "{count} entries on this page"),
    "auditor.log.seq": Text("序号", "Seq"),
    "auditor.log.at": Text("时间（UTC）", "Time (UTC)"),
    "auditor.log.outcome": Text("结果", "Outcome"),
    "auditor.log.detail": Text("详情", "Detail"),
    "auditor.log.none": Text("没有符合条件的记录。", "No entry matches."),
    "auditor.log.paging": Text("翻页", "Pages"),
    "auditor.log.first": Text("第一页", "First page"),
    "auditor.log.next": Text("下一页", "Next page"),
    "auditor.verify.title": Text("日志链校验", "Chain verification"),
    "auditor.verify.ok": Text(
        "日志链完整：已校验 {entries} 条记录。", "The chain holds: {entries} entries checked."
    ),
    "auditor.verify.broken": Text(
        "日志链已断裂：发现 {problems} 处问题。", "The chain is broken: {problems} problems found."
    ),
    "auditor.verify.checked": Text("已校验记录", "Entries checked"),
    "auditor.verify.head": Text("最新序号", "Head sequence"),
    "auditor.verify.anchored": Text("签名检查点覆盖至", "Anchored through"),
    "auditor.verify.unanchored": Text("尚未被检查点覆盖", "Not yet anchored"),
    "auditor.verify.checkpoints": Text("签名检查点", "Signed checkpoints"),
    "auditor.verify.problems": Text("问题", "Problems"),
    "auditor.verify.problem": Text("问题说明", "Problem"),
    "auditor.verify.again": Text("重新校验", "Verify again"),
    "auditor.trace.title": Text("数据追溯", "Dataset trace"),
    "auditor.trace.intro": Text(
        "涉及某数据集（版本）的所有作业、结果、发布、下载、查询、预览和预算扣减，按时间排列。",
        "Every job, result, release, download, query, preview and charge that touched a "
        "dataset (version), in order.",
    ),
    "auditor.trace.dataset": Text("数据集名称", "Dataset name"),
    "auditor.trace.version": Text("版本（可选）", "Version (optional)"),
    "auditor.trace.show": Text("追溯", "Trace"),
    "auditor.trace.timeline": Text(
        "{dataset} 的时间线（{count} 条）", "Timeline of {dataset} ({count} entries)"
    ),
    "auditor.trace.truncated": Text(
        "记录过多，仅显示最早的部分。", "Too many entries: only the earliest are shown."
    ),
    "auditor.trace.empty": Text("没有记录。", "Nothing touched it."),
    "auditor.trace.charge": Text(
        "预算扣减 {loss}（授权 {grant}，状态 {status}）",
        "Budget charge {loss} (grant {grant}, {status})",
    ),
    "auditor.trace.grants": Text("覆盖该数据集的授权", "Grants covering it"),
    "auditor.trace.products": Text("由其产生的数据产品", "Data products made from it"),
}
