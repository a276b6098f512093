"""Labels of a dataset's page: its entry, dictionary, versions, quality, preview, products."""

from api.console.text import Text

MESSAGES: dict[str, Text] = {
    "dataset.about": Text("基本信息", "About this dataset"),
    "dataset.name": Text("名称", "Name"),
    "dataset.provider": Text("提供单位", "Provider"),
    "dataset.attribute": Text("开放属性", "Open attribute"),
    "dataset.conditions": Text("开放条件", "Conditions of use"),
    "dataset.legal_basis": Text("法律依据", "Legal basis"),
    "dataset.format": Text("数据格式", "Data format"),
    "dataset.type": Text("数据类型", "Data type"),
    "dataset.frequency": Text("更新频率", "Update frequency"),
    "dataset.timeliness": Text("更新时效", "Timeliness"),
    "dataset.contact": Text("联系方式", "Contact"),
    "dataset.privacy_unit": Text("隐私保护单位", "Privacy unit"),
    "dataset.entry_updated": Text("目录更新时间", "Entry updated"),
    "dataset.hidden_details": Text(
        "此数据不予开放：只公布目录信息和法律依据，数据字典、版本和质量报告仅对提供单位和监管部门可见。",
        "This data is not open: only its entry and legal basis are published; its dictionary, "
        "versions and quality report are shown to its provider and the supervisors only.",
    ),
    "dataset.dictionary": Text("数据字典", "Data dictionary"),
    "dataset.column": Text("字段", "Column"),
    "dataset.column_type": Text("类型", "Type"),
    "dataset.column_description": Text("说明", "Description"),
    "dataset.classification": Text("分级", "Classification"),
    "dataset.domain": Text("取值范围", "Domain"),
    "dataset.versions": Text("版本", "Versions"),
    "dataset.version": Text("版本", "Version"),
    "dataset.rows": Text("行数", "Rows"),
    "dataset.size": Text("大小（字节）", "Size (bytes)"),
    "dataset.created_at": Text("发布时间", "Published"),
    "dataset.note": Text("说明", "Note"),
    "dataset.no_versions": Text("尚无数据版本。", "No data has been registered yet."),
    "dataset.quality": Text("质量报告", "Quality report"),
    "dataset.quality_of": Text(
        "第 {version} 版的质量报告：只有计数，不含任何数据值。",
        "The quality report of version {version}: counts only, never a value.",
    ),
    "dataset.quality.rows": Text("总行数", "Rows"),
    "dataset.quality.duplicate_rows": Text("重复行", "Duplicate rows"),
    "dataset.quality.result": Text("检查结果", "Result"),
    "dataset.quality.passed": Text("通过", "Passed"),
    "dataset.quality.failed": Text("发现问题", "Issues found"),
    "dataset.quality.nulls": Text("空值", "Nulls"),
    "dataset.quality.null_fraction": Text("空值比例", "Null fraction"),
    "dataset.quality.distinct": Text("不同值", "Distinct values"),
    "dataset.quality.duplicates": Text("重复值", "Repeated values"),
    "dataset.quality.type_errors": Text("越界值", "Out-of-domain values"),
    "dataset.quality.issues": Text("问题", "Issues"),
    "dataset.unavailable": Text("暂时无法显示", "Not available now"),
    "dataset.preview": Text("数据预览", "Preview"),
    "dataset.preview.real": Text(
        "公开数据的前 {rows} 行。", "The first {rows} rows of this open data."
    ),
    "dataset.preview.mock": Text(
        "按数据字典生成的模拟数据，不是真实记录。",
        "Mock rows generated from the data dictionary; not real records.",
    ),
    "dataset.preview.dp": Text(
        "差分隐私合成样本（ε = {epsilon}），不是真实记录。",
        "A differentially private synthetic sample (ε = {epsilon}); not real records.",
    ),
    "dataset.preview.closed": Text(
        "不予开放的数据没有预览。", "Data that is not open has no preview."
    ),
    "dataset.products": Text("数据产品", "Data products"),
    "dataset.products.none": Text(
        "尚无基于此数据发布的数据产品。", "No data product has been published from this data yet."
    ),
    "dataset.products.published": Text(
        "{publisher} 发布于 {date}", "Published by {publisher} on {date}"
    ),
    "dataset.back": Text("返回数据目录", "Back to the catalog"),
}
