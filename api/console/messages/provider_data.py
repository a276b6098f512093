"""Labels of the provider's dataset pages: the list, registration with its upload, a new
version, one dataset's versions and quality, and the dataset policy editor.
"""

from api.console.text import Text

_FIELDS: dict[str, Text] = {
    "provider_data.field.name": Text("数据集名称（标识）", "Dataset name (identifier)"),
    "provider_data.field.title": Text("标题", "Title"),
    "provider_data.field.description": Text("说明", "Description"),
    "provider_data.field.open_attribute": Text("开放属性", "Open attribute"),
    "provider_data.field.open_conditions": Text("开放条件", "Conditions of opening"),
    "provider_data.field.data_format": Text("数据格式", "Data format"),
    "provider_data.field.data_type": Text("数据类型", "Data type"),
    "provider_data.field.update_frequency": Text("更新频率", "Update frequency"),
    "provider_data.field.contact": Text("联系方式", "Contact"),
    "provider_data.field.legal_basis": Text("法律依据", "Legal basis"),
    "provider_data.field.privacy_unit": Text("隐私单元列", "Privacy unit column"),
    "provider_data.field.dictionary": Text("数据字典", "Data dictionary"),
    "provider_data.field.file": Text("数据文件", "Data file"),
    "provider_data.field.format": Text("文件格式", "File format"),
    "provider_data.field.source_path": Text("服务器上的路径或 URI", "Path or URI on the server"),
    "provider_data.field.note": Text("版本说明", "Version note"),
    "provider_data.field.grade": Text("建议的安全分级", "Proposed security grade"),
}
"""Every field a refusal may name (the error summary links it by this label)."""

MESSAGES: dict[str, Text] = {
    **_FIELDS,
    "nav.provider_datasets": Text("我的数据集", "My datasets"),
    "provider_data.list.title": Text("本单位提供的数据集", "Datasets your organisation provides"),
    "provider_data.list.intro": Text(
        "登记新的数据集、添加版本、查看质量报告并编辑数据集策略。",
        "Register datasets, add versions, read their quality and edit their policies.",
    ),
    "provider_data.list.caption": Text("{count} 个数据集", "{count} datasets"),
    "provider_data.list.none": Text(
        "本单位还没有登记数据集。", "Your organisation has not registered a dataset yet."
    ),
    "provider_data.dataset": Text("数据集", "Dataset"),
    "provider_data.suspended": Text("中止开放", "Suspended"),
    "provider_data.suspended_since": Text("自 {date} 起中止", "Suspended since {date}"),
    "provider_data.withdrawn": Text("已于 {date} 撤回", "Withdrawn ({date})"),
    "provider_data.back": Text("← 我的数据集", "← My datasets"),
    "provider_data.back_to": Text("← 返回 {title}", "← {title}"),
    "provider_data.refused": Text("未能保存", "Not saved"),
    "provider_data.unchanged": Text(
        "目录未作任何更改；修改后重新提交即可。",
        "The catalog is unchanged; correct the form and send it again.",
    ),
    # registration
    "provider_data.register.action": Text("登记数据集", "Register a dataset"),
    "provider_data.register.title": Text("登记数据集", "Register a dataset"),
    "provider_data.register.intro": Text(
        "填写目录信息和数据字典，并上传数据文件：文件上传后按数据字典检查，通过后作为第 1 版登记。",
        "Fill in the catalog entry and the data dictionary and upload the file: it is checked "
        "against the dictionary and registered as version 1.",
    ),
    "provider_data.register.about": Text("目录信息", "Catalog entry"),
    "provider_data.register.submit": Text("登记", "Register"),
    "provider_data.hint.name": Text(
        "2–63 个小写字母、数字或下划线，以字母开头；登记后不可更改。",
        "2–63 lower-case letters, digits or '_', starting with a letter; it cannot change later.",
    ),
    "provider_data.hint.open_conditions": Text(
        "有条件开放的数据：使用者须满足的条件。",
        "For conditionally open data: what a user must meet.",
    ),
    "provider_data.hint.legal_basis": Text(
        "不予开放的数据必须写明不开放的法律依据。",
        "A not-open dataset must state the legal basis for not opening it.",
    ),
    "provider_data.hint.grade": Text(
        "一般、重要或核心；由监管机构在审核发布时核定，核定前按最严格的分级执行。",
        "General, important or core; the authority approves it when it passes the entry, "
        "and until then the strictest grade holds.",
    ),
    "provider_data.hint.privacy_unit": Text(
        "标识同一个人（或单位）的列，差分隐私按它限制每人的贡献；可留空。",
        "The column naming one person (or unit): differential privacy bounds each one's "
        "contribution by it. May be empty.",
    ),
    "provider_data.dictionary.label": Text(
        "数据字典（JSON 或 YAML 的列清单）", "Data dictionary (a JSON or YAML list of columns)"
    ),
    "provider_data.dictionary.hint": Text(
        "每列写明 name、type（{types}）和 classification（{classes}），"
        "可选 description、categories、lower、upper、nullable。",
        "Each column names its name, type ({types}) and classification ({classes}); "
        "optionally description, categories, lower, upper, nullable.",
    ),
    "provider_data.dictionary.example": Text("示例", "An example"),
    "provider_data.dictionary.draft": Text(
        "按所选 CSV 文件的表头起草数据字典", "Draft the dictionary from the CSV file's header"
    ),
    "provider_data.dictionary.drafted": Text(
        "已按表头和前几行起草：请核对每列的类型，并为每列填写 classification。",
        "Drafted from the header and the first rows: check each column's type and fill in "
        "its classification.",
    ),
    # the upload
    "provider_data.upload.choose": Text(
        "选择文件（CSV、Parquet 或 Arrow）", "Choose the file (CSV, Parquet or Arrow)"
    ),
    "provider_data.upload.hint": Text(
        "选定后立即上传，进度条显示进度；文件在登记前只暂存，不进入目录。",
        "It uploads as soon as you choose it, the bar showing how far it got; it is only "
        "staged, not in the catalog, until the form is sent.",
    ),
    "provider_data.upload.progress": Text("上传进度", "Upload progress"),
    "provider_data.upload.cancel": Text("取消上传", "Cancel the upload"),
    "provider_data.upload.cancelled": Text(
        "上传已取消，未暂存任何文件。", "The upload is cancelled; nothing is staged."
    ),
    "provider_data.upload.uploading": Text("正在上传 {percent}%", "Uploading {percent}%"),
    "provider_data.upload.done": Text(
        "已上传 {name}（{bytes} 字节）100%", "Uploaded {name} ({bytes} bytes) 100%"
    ),
    "provider_data.upload.failed": Text("上传被拒绝：{message}", "Upload refused: {message}"),
    "provider_data.upload.network": Text(
        "上传中断（网络错误），请重新选择文件。",
        "The upload was interrupted (network error); choose the file again.",
    ),
    "provider_data.upload.wait": Text(
        "文件仍在上传，完成后将自动提交。",
        "The file is still uploading; the form is sent when it is done.",
    ),
    "provider_data.upload.submitting": Text(
        "正在登记并检查数据…", "Registering and checking the data…"
    ),
    "provider_data.upload.kept": Text(
        "已暂存的文件：{name}（可另选文件替换）",
        "The staged file: {name} (choose another to replace it)",
    ),
    "provider_data.upload.noscript": Text(
        "浏览器上传需要 JavaScript；也可以填写服务器上的文件路径。",
        "Uploading from the browser needs JavaScript; you may name a file on the server instead.",
    ),
    "provider_data.format.detect": Text("按文件自动识别", "Detect from the file"),
    "provider_data.path.summary": Text(
        "改为导入服务器上的文件", "Import a file on the server instead"
    ),
    "provider_data.path.hint": Text(
        "只允许配置的导入目录之下的路径（SANDBOX_IMPORT_ROOTS）；与上传二选一。",
        "Only under a configured import root (SANDBOX_IMPORT_ROOTS); instead of an upload.",
    ),
    # a new version
    "provider_data.version.action": Text("添加版本", "Add a version"),
    "provider_data.version.title": Text("为 {name} 添加版本", "Add a version of {name}"),
    "provider_data.version.intro": Text(
        "新文件按现有数据字典检查，通过后成为第 {next} 版；旧版本仍可读取。",
        "The new file is checked against the dictionary and becomes version {next}; older "
        "versions stay readable.",
    ),
    "provider_data.version.submit": Text("添加版本", "Add the version"),
    "provider_data.done.registered": Text(
        "数据集已登记，已提交监管机构审核；审核通过后才在目录中公开。",
        "The dataset is registered and submitted for the authority's review; it is in the "
        "public catalog once passed.",
    ),
    "provider_data.done.version": Text(
        "新版本已添加并提交审核；通过前仍使用上一个已发布版本。",
        "The new version is added and submitted for review; until it is passed the previous "
        "published version stays current.",
    ),
    # one dataset
    "provider_data.public_page": Text("目录中的公开页面", "Its page in the catalog"),
    "provider_data.trace": Text("使用轨迹", "Its trace"),
    "provider_data.columns": Text("列", "Columns"),
    "provider_data.registered": Text("登记日期", "Registered"),
    "provider_data.source_format": Text("来源格式", "Source format"),
    "provider_data.review": Text("发布审核", "Publication review"),
    "provider_data.review.due": Text("审核期限：{date}", "Review due by {date}"),
    "provider_data.review.note": Text("审核意见：{note}", "The authority's note: {note}"),
    "provider_data.review.resubmit_note": Text("已更正的内容", "What was put right"),
    "provider_data.review.resubmit": Text("重新提交审核", "Submit it again"),
    "provider_data.done.grade": Text(
        "分级建议已提交，等待监管机构决定。", "The grade is proposed; the authority decides on it."
    ),
    "provider_data.done.resubmitted": Text(
        "该版本已重新提交审核。", "The version is submitted for review again."
    ),
    "provider_data.grade": Text("安全分级", "Security grade"),
    "provider_data.grade.general": Text("一般", "General"),
    "provider_data.grade.important": Text("重要", "Important"),
    "provider_data.grade.core": Text("核心", "Core"),
    "provider_data.grade.none": Text("尚未核定", "Not approved yet"),
    "provider_data.grade.approved": Text("已核定的分级", "Approved grade"),
    "provider_data.grade.proposed": Text("待决定的建议", "Proposal waiting"),
    "provider_data.grade.in_force": Text("现行分级", "Grade in force"),
    "provider_data.grade.hint": Text(
        "分级决定数据集须满足的策略下限；在监管机构核定前，按最严格的分级执行。",
        "The grade selects the policy floor the dataset meets; until the authority approves "
        "it, the strictest grade holds.",
    ),
    "provider_data.grade.propose_label": Text("建议分级", "Grade to propose"),
    "provider_data.grade.reason": Text("理由（可选）", "Reason (optional)"),
    "provider_data.grade.propose": Text("提交分级建议", "Propose the grade"),
    "provider_data.review.submitted": Text("待审核", "Waiting for review"),
    "provider_data.review.passed": Text("已发布", "Published"),
    "provider_data.review.returned": Text("已退回", "Returned"),
    "provider_data.integrity": Text("完整性", "Integrity"),
    "provider_data.integrity.none": Text("无损坏记录", "No damage on record"),
    "provider_data.integrity.damaged": Text("已损坏", "Damaged"),
    "provider_data.integrity.intact": Text("完好", "Intact"),
    "provider_data.integrity.check": Text("立即完整校验", "Check integrity now"),
    "provider_data.integrity.hint": Text(
        "对每个版本的文件计算完整哈希（记入审计）。",
        "Hashes every version's file in full (audited).",
    ),
    "provider_data.integrity.checked": Text("{time} UTC 的校验结果：", "Checked at {time} UTC:"),
    "provider_data.budget": Text("隐私预算", "Privacy budget"),
    "provider_data.budget.account": Text("账户", "Account"),
    "provider_data.budget.spent": Text("已用", "Spent"),
    "provider_data.budget.remaining": Text("剩余", "Remaining"),
    "provider_data.budget.limit": Text("上限", "Limit"),
    "provider_data.budget.lifetime": Text("数据集总预算", "The dataset's lifetime budget"),
    "provider_data.budget.grant": Text("授权 {ref}", "Grant {ref}"),
    "provider_data.budget.none": Text(
        "尚未开设预算账户（首个授权被接受时开设）。",
        "No budget account yet (they open when a grant is accepted).",
    ),
    "provider_data.desensitisation": Text("脱敏记录", "Desensitisation record"),
    "provider_data.desens.method": Text("方法", "Method"),
    "provider_data.desens.description": Text("说明", "Description"),
    "provider_data.desens.recorded": Text("记录", "Recorded"),
    "provider_data.desens.all": Text("全部版本", "Every version"),
    "provider_data.desens.none": Text("没有脱敏记录。", "No desensitisation is recorded."),
    "provider_data.desens.add": Text("记录一项脱敏处理", "Record a desensitisation step"),
    "provider_data.desens.version": Text("适用版本", "Applies to"),
    "provider_data.desens.submit": Text("记录", "Record it"),
    "provider_data.done.desensitisation": Text(
        "脱敏记录已添加。", "The desensitisation is recorded."
    ),
    "provider_data.done.attribute": Text(
        "开放属性变更申请已提交，等待监管机构决定。",
        "The change of open attribute is requested; the authority decides on it.",
    ),
    "provider_data.change": Text("开放属性变更", "Changing the open attribute"),
    "provider_data.change.current": Text(
        "现行开放属性：{attribute}。", "The open attribute now: {attribute}."
    ),
    "provider_data.change.requests": Text("变更申请", "Change requests"),
    "provider_data.change.change": Text("变更", "Change"),
    "provider_data.change.requested": Text("申请", "Requested"),
    "provider_data.change.status": Text("状态", "Status"),
    "provider_data.change.note": Text("决定说明", "Decision note"),
    "provider_data.change.status.pending": Text("待决定", "Pending"),
    "provider_data.change.status.approved": Text("已批准", "Approved"),
    "provider_data.change.status.rejected": Text("已驳回", "Rejected"),
    "provider_data.change.request": Text("申请变更开放属性", "Request a change of open attribute"),
    "provider_data.change.hint": Text(
        "放宽开放属性须附脱敏记录或同意依据，改为不予开放须写明法律依据；由监管机构决定。",
        "Opening further needs a desensitisation record or a consent reference, closing "
        "needs the legal basis; the authority decides.",
    ),
    "provider_data.change.to": Text("改为", "Change to"),
    "provider_data.change.desensitisation": Text("依据的脱敏记录", "Desensitisation it rests on"),
    "provider_data.change.consent": Text("同意依据（编号）", "Consent reference"),
    "provider_data.change.reason": Text("理由", "Reason"),
    "provider_data.change.submit": Text("提交变更申请", "Request the change"),
    # the policy editor
    "provider_data.policy.action": Text("编辑数据集策略", "Edit the dataset policy"),
    "provider_data.policy.title": Text("{name} 的数据集策略", "The dataset policy of {name}"),
    "provider_data.policy.intro": Text(
        "数据集策略只能比监管下限更严格；生效策略是下限、本策略与授权策略中最严格的组合。",
        "A dataset policy may only be stricter than the authority's floor; the effective "
        "policy is the strictest combination of the floor, this policy and a grant's.",
    ),
    "provider_data.policy.set_by": Text("设置人", "Set by"),
    "provider_data.policy.set_at": Text("设置日期", "Set on"),
    "provider_data.policy.document": Text(
        "本数据集的策略（JSON 或 YAML）", "This dataset's policy (JSON or YAML)"
    ),
    "provider_data.policy.hint": Text(
        "例如把 row_count 的 min_count 设得比生效策略中的更大；未写的规则沿用下限。",
        "For example, a row_count min_count above the effective policy's; a rule left out "
        "follows the floor.",
    ),
    "provider_data.policy.save": Text("检查并保存", "Check and save"),
    "provider_data.policy.saved": Text("策略已保存。", "The policy is saved."),
    "provider_data.policy.refused": Text("策略未保存", "The policy was not saved"),
    "provider_data.policy.looser": Text(
        "以下规则比监管下限宽松：", "These rules are looser than the floor:"
    ),
    "provider_data.policy.unchanged": Text("现行策略未改变。", "The policy in force is unchanged."),
    "provider_data.policy.effective": Text("生效策略", "The effective policy"),
    "provider_data.policy.effective_hint": Text(
        "下限与本策略中最严格的规则组合，即作业在此数据集上遵守的规则（未计授权）；本策略只能收紧其中的规则。",
        "The strictest combination of the floor in force and this policy: the rules jobs "
        "on this dataset follow (before a grant's). This policy may only tighten them.",
    ),
}
