"""Labels of the verification service pages (the provider's and the grant holder's) and of
an application's proof attachments (the applicant's, the provider's and the authority's).
"""

from api.console.text import Text

MESSAGES: dict[str, Text] = {
    "nav.verification": Text("核验服务", "Verification"),
    "nav.provider_verification": Text("核验服务发布", "Verification services"),
    # shared
    "verification.title": Text("数据核验服务", "Verification services"),
    "verification.intro": Text(
        "核验服务只回答“是否一致”，从不返回数据集中的任何值。",
        "A verification service answers only whether records match; it never returns a "
        "value from the dataset.",
    ),
    "verification.dataset": Text("数据集", "Dataset"),
    "verification.service": Text("服务", "Service"),
    "verification.name": Text("服务名称", "Service name"),
    "verification.description": Text("说明", "Description"),
    "verification.fields": Text("输入字段", "Input fields"),
    "verification.field": Text("字段", "Field"),
    "verification.column": Text("对应列", "Column"),
    "verification.case": Text("大小写", "Letter case"),
    "verification.case.sensitive": Text("区分大小写", "Case-sensitive"),
    "verification.case.insensitive": Text("不区分大小写", "Case-insensitive"),
    "verification.min_length": Text("最短长度", "Minimum length"),
    "verification.refuse_underscore": Text("拒绝下划线通配符", "Refuse '_' as a wildcard"),
    "verification.answer": Text("答复方式", "Answer kind"),
    "verification.answer.match": Text("整体一致", "Match (one answer)"),
    "verification.answer.per_field": Text("逐字段一致", "Per field"),
    "verification.status": Text("状态", "Status"),
    "verification.status.published": Text("已发布", "Published"),
    "verification.status.withdrawn": Text("已撤回", "Withdrawn"),
    "verification.created": Text("发布时间", "Published on"),
    "verification.withdrawn_reason": Text("撤回理由", "Reason for withdrawal"),
    "verification.none": Text("暂无核验服务。", "No verification services yet."),
    "verification.key_hint": Text(
        "第一个字段为键，须为文本或整数类型的标识符列。",
        "The first field is the key: an identifier column of text or whole numbers.",
    ),
    "verification.error_title": Text("未能完成", "This was refused"),
    "verification.back": Text("返回核验服务列表", "Back to the verification services"),
    # the provider's pages
    "verification.provider.title": Text("发布核验服务", "Publish verification services"),
    "verification.provider.datasets": Text("本单位的有条件开放数据集", "Your conditional datasets"),
    "verification.provider.no_datasets": Text(
        "本单位没有有条件开放的数据集：核验服务只能发布在有条件开放的数据集上。",
        "Your organisation provides no conditional dataset: verification services are "
        "published on conditional datasets only.",
    ),
    "verification.provider.services_of": Text("{dataset} 的核验服务", "Services of {dataset}"),
    "verification.provider.count": Text("服务数", "Services"),
    "verification.provider.open": Text("管理", "Manage"),
    "verification.provider.publish": Text("发布新服务", "Publish a new service"),
    "verification.provider.publish_button": Text("发布", "Publish"),
    "verification.provider.field_row": Text("第 {number} 个字段", "Field {number}"),
    "verification.provider.field_row_hint": Text(
        "留空的字段行不计入。", "Rows left blank are not part of the service."
    ),
    "verification.provider.column_none": Text("（选择列）", "(choose a column)"),
    "verification.provider.published": Text("核验服务已发布。", "The service is published."),
    "verification.provider.withdraw": Text("撤回", "Withdraw"),
    "verification.provider.withdraw_reason": Text("撤回理由", "Reason for withdrawing"),
    "verification.provider.withdrawn": Text("核验服务已撤回。", "The service is withdrawn."),
    "verification.provider.actions": Text("操作", "Action"),
    # the grant holder's pages
    "verification.user.services": Text(
        "授权覆盖的数据集上的核验服务", "Services on the datasets your grants cover"
    ),
    "verification.user.none": Text(
        "您的有效授权所覆盖的数据集上暂无核验服务。",
        "No verification service is published on the datasets your active grants cover.",
    ),
    "verification.user.open": Text("核验", "Verify"),
    "verification.quota": Text("今日额度", "Today's quota"),
    "verification.quota.day": Text("日期", "Day"),
    "verification.quota.limit": Text("每日上限（条）", "Daily limit (records)"),
    "verification.quota.per_record": Text("同一记录每日上限", "Per record per day"),
    "verification.quota.used": Text("今日已用", "Used today"),
    "verification.quota.remaining": Text("今日剩余", "Remaining today"),
    "verification.quota.grant": Text("计入授权", "Counted against grant"),
    "verification.refused": Text("无法核验", "You cannot verify here"),
    "verification.records": Text("逐条核验", "Verify records"),
    "verification.records_hint": Text(
        "每行一条记录，留空的行不计入；一次最多 {limit} 条。",
        "One record per row; blank rows are skipped; at most {limit} per call.",
    ),
    "verification.row": Text("第 {number} 条", "Record {number}"),
    "verification.row_field": Text("第 {number} 条的 {field}", "{field} of record {number}"),
    "verification.verify_button": Text("核验", "Verify"),
    "verification.answers": Text("核验结果", "Answers"),
    "verification.answers_hint": Text(
        "仅显示是否一致；您输入的值不保存，数据集中的值从不显示。",
        "Only whether each record matches; what you typed is not kept and no value from "
        "the dataset is ever shown.",
    ),
    "verification.record": Text("记录", "Record"),
    "verification.match": Text("结果", "Answer"),
    "verification.yes": Text("一致", "Match"),
    "verification.no": Text("不一致", "No match"),
    "verification.file": Text("核验文件", "Verify a file of records"),
    "verification.file_hint": Text(
        "CSV（首行为字段名：{fields}）或 NDJSON（每行一个对象）。",
        "CSV (a header row naming the fields: {fields}) or NDJSON (one object per line).",
    ),
    "verification.file_label": Text("记录文件", "File of records"),
    "verification.file_button": Text("上传并核验", "Upload and verify"),
    "verification.file_sending": Text("正在核验……", "Verifying…"),
    "verification.file_done": Text(
        "已核验 {records} 条，今日剩余 {remaining} 条。",
        "{records} records verified; {remaining} left today.",
    ),
    "verification.file_none": Text("请先选择文件。", "Choose a file first."),
    "verification.file_failed": Text("文件被拒绝：{message}", "The file was refused: {message}"),
    "verification.file_network": Text(
        "网络中断，文件未核验。", "The connection failed; nothing was verified."
    ),
    "verification.download": Text("下载结果（NDJSON）", "Download the answers (NDJSON)"),
    # attachments of an application
    "attachments.title": Text("证明材料", "Proof attachments"),
    "attachments.none": Text("暂无证明材料。", "No proof attached."),
    "attachments.name": Text("文件名", "File"),
    "attachments.type": Text("类型", "Type"),
    "attachments.size": Text("大小", "Size"),
    "attachments.bytes": Text("{bytes} 字节", "{bytes} bytes"),
    "attachments.uploaded": Text("上传", "Uploaded"),
    "attachments.download": Text("下载 {name}", "Download {name}"),
    "attachments.add": Text("添加证明材料", "Attach proof"),
    "attachments.file": Text("文件", "File"),
    "attachments.limits": Text(
        "PDF、PNG、JPEG 或文本文件，每个不超过 {mib} MiB，每份申请最多 {count} 个。",
        "A PDF, PNG, JPEG or text file of at most {mib} MiB; at most {count} per application.",
    ),
    "attachments.button": Text("上传", "Upload"),
    "attachments.sending": Text("正在上传……", "Uploading…"),
    "attachments.none_chosen": Text("请先选择文件。", "Choose a file first."),
    "attachments.failed": Text("文件被拒绝：{message}", "The file was refused: {message}"),
    "attachments.network": Text(
        "网络中断，文件未上传。", "The connection failed; nothing was attached."
    ),
    "attachments.closed": Text(
        "此申请已不在审查中，不能再添加材料。",
        "This application is no longer under review; no more proof can be attached.",
    ),
}
