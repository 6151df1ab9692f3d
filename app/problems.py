"""The error catalogue: every failure a client can see, with a stable code, an HTTP status and
a message in Chinese and English.

Codes follow ODK Central's (lib/util/problem.js) where Central has the same failure, so ODK
tooling reads them the same way; the integer part is the HTTP status. A code is a string, used
for one meaning only, and written as a number would print it (no trailing zero after the dot:
"409.2" and "409.20" would be one code to a client that reads it as a number, as Central's
own clients do). Raise `Problem` anywhere;
the OpenRosa blueprint renders it as an OpenRosaResponse a field worker can read on the phone,
the JSON API as {"code", "message", "message_zh", "details"}.
"""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Entry:
    code: str
    status: int
    en: str
    zh: str


_CATALOGUE = [
    Entry("400.2", 400, "The XML could not be read safely: {reason}.",
          "提交的 XML 无法安全解析：{reason}。"),
    Entry("400.4", 400, "The form definition is invalid: {reason}",
          "表单定义无效：{reason}"),
    Entry("400.5", 400, "{name} is not an XForm: it has no <h:head>/<model>.",
          "{name} 不是 XForm 表单：缺少 <h:head>/<model>。"),
    Entry("400.11", 400, "{name}: the form has no id. Give it a form_id in the settings sheet "
          "(or an id attribute on the primary instance's root).",
          "{name}：表单缺少 id。请在 settings 表中填写 form_id（或在主实例根元素上加 id 属性）。"),
    Entry("400.12", 400, "{name}: expected an XLSForm (.xlsx, .xls, .xlsm) or an XForm (.xml).",
          "{name}：应为 XLSForm（.xlsx、.xls、.xlsm）或 XForm（.xml）文件。"),
    Entry("400.6", 400, "X-OpenRosa-Version must be 1.0 on this endpoint.",
          "此接口要求请求头 X-OpenRosa-Version 为 1.0。"),
    Entry("400.7", 400, "The submission has no xml_submission_file part.",
          "提交中缺少 xml_submission_file 部分。"),
    Entry("400.8", 400, "The submission names no form: the root element has no id attribute.",
          "提交未指明表单：根元素缺少 id 属性。"),
    Entry("400.9", 400, "An encrypted submission must carry its instanceID.",
          "加密提交必须包含 instanceID。"),
    Entry("400.19", 400, "This PUT needs the XML's meta/deprecatedID to name the version it "
          "replaces, the submission's current one; the XML has none.",
          "此 PUT 请求的 XML 须在 meta/deprecatedID 中写明被替换的版本（该提交的当前版本），但 XML 中没有。"),
    Entry("400.75", 400, "Unknown review state {value}; use one of {allowed}.",
          "未知的审核状态 {value}，可选：{allowed}。"),
    Entry("400.13", 400, "{name}: entities-version {version} is not one this server reads; "
          "use 2022.1 to 2025.1 (publish the XLSForm with a current pyxform).",
          "{name}：不支持实体版本 {version}，请使用 2022.1 至 2025.1（用新版 pyxform 发布 XLSForm）。"),
    Entry("400.14", 400, "{name}: the entity block for list {dataset} says neither create nor "
          "update.", "{name}：实体列表 {dataset} 的声明既不创建也不更新。"),
    Entry("400.15", 400, "{name}: {what} name {value} is not allowed: {reason}.",
          "{name}：{what}名称 {value} 不合法：{reason}。"),
    Entry("400.25", 400, "The entity request is invalid: {reason}.", "实体请求无效：{reason}。"),
    Entry("400.29", 400, "{count} submissions are waiting for approval to create entities; say "
          "convert=true to create them now or convert=false to leave them.",
          "有 {count} 份提交在等待审批以创建实体；请指定 convert=true 立即创建，或 convert=false 不创建。"),
    Entry("400.251", 400, "{value} is not a valid {what} name: {reason}.",
          "{value} 不是有效的{what}名称：{reason}。"),
    Entry("400.252", 400, "At most {limit} entities may be created in one request, not {count}: "
          "send them in parts.", "一次请求最多创建 {limit} 个实体，而不是 {count} 个：请分批发送。"),
    Entry("400.253", 400, "Creating many entities needs a source: {{\"name\": …, \"size\": …}}.",
          "批量创建实体需要提供来源 source：{{\"name\": …, \"size\": …}}。"),
    Entry("400.32", 400, "This entity has no conflict to resolve.", "该实体没有需要解决的冲突。"),
    Entry("400.39", 400, "The upload is not valid multipart/form-data: {reason}.",
          "上传内容不是有效的 multipart/form-data：{reason}。"),
    Entry("401.2", 401, "Please log in: this needs a valid user name and password or token.",
          "请登录：需要有效的用户名和密码或令牌。"),
    Entry("401.3", 401, "Basic authentication is only accepted over HTTPS.",
          "仅在 HTTPS 下接受 Basic 认证。"),
    Entry("401.4", 401, "The access token in the link is malformed.", "链接中的访问令牌格式不正确。"),
    Entry("403.1", 403, "This phone's access has been revoked or is unknown; ask your supervisor "
          "for a new QR code.", "此手机的访问权限已被撤销或无效，请向上级索取新的二维码。"),
    Entry("403.2", 403, "You are not allowed to do this.", "您没有执行此操作的权限。"),
    Entry("403.3", 403, "You may not send submissions to form {form}.", "您无权向表单 {form} 提交数据。"),
    Entry("404.1", 404, "Nothing was found here.", "未找到请求的内容。"),
    Entry("404.2", 404, "Form {form} does not exist in this project.", "本项目中不存在表单 {form}。"),
    Entry("404.5", 404, "The submission being edited ({deprecated}) was not found.",
          "找不到要修改的原提交（{deprecated}）。"),
    Entry("404.6", 404, "Version {version} of form {form} was never published; update the "
          "form on the phone.", "表单 {form} 从未发布过版本 {version}，请在手机上更新表单。"),
    Entry("409.1", 409, "A different submission with instanceID {instance} was already received. "
          "Resending is only allowed with identical XML (to add attachments).",
          "已收到 instanceID 为 {instance} 的另一份不同提交。重发时 XML 必须完全相同（仅用于补传附件）。"),
    Entry("409.2", 409, "Form {form} is closed and no longer accepts submissions.",
          "表单 {form} 已关闭，不再接受提交。"),
    Entry("409.3", 409, "An entity or submission with id {uuid} already exists (or existed).",
          "ID 为 {uuid} 的实体或提交已经存在（或曾经存在）。"),
    Entry("409.15", 409, "The entity is at version {current}, not {base}: reload it and try "
          "again, or say force=true.", "该实体当前为版本 {current}，不是 {base}：请刷新后重试，或使用 force=true。"),
    Entry("409.16", 409, "{name}: {what} {value} differs only in case from the existing {existing}.",
          "{name}：{what} {value} 与已有的 {existing} 仅大小写不同。"),
    # Merging duplicates (app.quality.merging, issue 23)
    Entry("400.281", 400, "{name} is not a property of list {list}: a pick names one of its "
          "properties, or label.", "{name} 不是列表 {list} 的属性：只能为其属性或 label 选择取值。"),
    Entry("409.281", 409, "An entity cannot be merged into itself.", "实体不能合并到它自己。"),
    Entry("409.282", 409, "Entity {uuid} was merged into {into}: use that one.",
          "实体 {uuid} 已合并到 {into}，请使用后者。"),
    Entry("409.283", 409, "Entity {uuid} is not merged into another: there is nothing to unmerge.",
          "实体 {uuid} 没有被合并，无需拆分。"),
    Entry("409.284", 409, "Entity {uuid} was merged into {into}, which is itself no longer live "
          "(merged or deleted since): bring that one back first.",
          "实体 {uuid} 合并到的 {into} 已不在册（之后又被合并或删除）：请先恢复它。"),
    Entry("409.6", 409, "Version {version} of form {form} was already published with different "
          "content. Change the version (settings sheet) and publish again.",
          "表单 {form} 的版本 {version} 已以不同内容发布。请修改版本号（settings 表）后重新发布。"),
    Entry("409.9", 409, "This submission ({instance}) was edited since; edit the latest copy.",
          "该提交（{instance}）已被修改过，请修改最新版本。"),
    Entry("409.18", 409, "Submission {instance} was deleted and may not be sent again.",
          "提交 {instance} 已被删除，不能再次提交。"),
    Entry("409.75", 409, "The user name {username} is taken.", "用户名 {username} 已被使用。"),
    Entry("413.1", 413, "The submission is larger than the {limit} bytes this server accepts.",
          "提交内容超过服务器允许的 {limit} 字节。"),
    Entry("500.1", 500, "The server failed unexpectedly; the phone will try again later.",
          "服务器发生意外错误，手机稍后会自动重试。"),
    # JSON API and accounts (h-api): each meaning once 400.4 carried, and a request's own fields
    Entry("400.76", 400, "Unknown villages: {villages}.", "未知的村：{villages}。"),
    Entry("400.77", 400, "Unknown role {value}; use one of {allowed}.",
          "未知的角色 {value}，可选：{allowed}。"),
    Entry("400.78", 400, "Unknown form state {value}; use one of {allowed}.",
          "未知的表单状态 {value}，可选：{allowed}。"),
    Entry("400.79", 400, "The request is invalid: {summary}",
          "请求无效，请检查这些字段：{fields}（{summary}）。"),
    # Forms: ODK Validate at publish
    Entry("400.81", 400, "{name} fails ODK Validate, the check ODK Central and ODK Collect "
          "apply to a form; fix the XLSForm and publish again. ODK Validate says: {errors}",
          "{name} 未通过 ODK Validate（ODK Central 和 ODK Collect 对表单所做的检查），请修改 "
          "XLSForm 后重新发布。ODK Validate 报告：{errors}"),
    # Reports: villages, locks (app.reports.service)
    Entry("404.81", 404, "There is no village {village} in this project.",
          "本项目中没有村 {village}。"),
    Entry("409.81", 409, "The report of {month} for {area} is already locked (version "
          "{version}); an admin must unlock it first.",
          "{area} {month} 的报表已锁定（第{version}版）；须由管理员先解锁。"),
    Entry("409.82", 409, "The report of {month} for {area} is not locked.",
          "{area} {month} 的报表未锁定。"),
    # untrusted XML and what a submission may carry (safexml, submissions/lengths)
    Entry("400.63", 400, "The submission's {what} is too long: {length} characters, at most "
          "{limit}.", "提交中的 {what} 过长：{length} 个字符，最多 {limit} 个。"),
    Entry("400.64", 400, "The submission's {what} holds a NUL character, which no text may "
          "contain.", "提交中的 {what} 含有空字符（NUL），文本中不允许出现。"),
    Entry("400.61", 400, "The XML cannot be read as {encoding}: send it in UTF-8, as ODK "
          "Collect does.", "XML 无法按 {encoding} 编码读取：请使用 UTF-8 编码（ODK Collect 默认如此）。"),
    Entry("400.62", 400, "The XML has too many elements and attributes: {count}, at most {limit}.",
          "XML 的元素和属性过多：{count} 个，最多 {limit} 个。"),
    Entry("413.63", 413, "The XML is {size} bytes, larger than the {limit} bytes this server "
          "accepts.", "XML 大小为 {size} 字节，超过服务器允许的 {limit} 字节。"),
    # auth: log-in throttle (app/auth/throttle.py)
    Entry("429.71", 429, "Too many failed log-ins for this user or from this network; try "
          "again in {seconds} seconds.", "该用户或该网络登录失败次数过多，请在 {seconds} 秒后重试。"),
    # Village scope of writes (app.register.scope)
    Entry("403.53", 403, "The submission being edited ({deprecated}) belongs to a village "
          "outside yours; it cannot be changed from this account.",
          "被修改的提交（{deprecated}）属于您所辖村以外的村，此账号不能修改它。"),
    Entry("403.51", 403, "This submission changes records of villages you do not oversee "
          "({villages}); a supervisor of those villages (or of the town) must approve it.",
          "此提交涉及您不负责的村（{villages}）的登记，须由这些村（或镇）的负责人审核通过。"),
    Entry("403.52", 403, "This change reaches a village outside the sender's ({village}); it "
          "waits for that village's supervisor.",
          "此修改涉及发送者所辖村以外的村（{village}），待该村负责人审核。"),
    # server: connections and workers
    Entry("408.65", 408, "The upload stopped arriving before it was complete; the phone will "
          "send it again.", "上传在完成前中断；手机会重新发送。"),
    # --- the web console (app/web): sign-in, CSRF, forms (4xx.91–99) ---
    Entry("401.91", 401, "Please sign in to the console.", "请先登录管理台。"),
    Entry("401.92", 401, "The user name or password is wrong.", "用户名或密码不正确。"),
    Entry("403.91", 403, "This form has expired or did not come from this site; go back, reload "
          "the page and try again.", "此表单已过期或并非来自本站；请返回、刷新页面后重试。"),
    Entry("405.91", 405, "This page cannot be sent a form.", "此页面不接受表单提交。"),
    Entry("500.91", 500, "The server failed unexpectedly; please try again later.",
          "服务器发生意外错误，请稍后再试。"),
    # --- console: review and correction (4xx.111–119) ---
    Entry("400.112", 400, "Choose a review decision or write a comment.",
          "请选择审核结果或填写备注。"),
    Entry("400.111", 400, "The correction changes no answer; nothing was saved.",
          "更正没有修改任何答案，未保存。"),
    Entry("409.112", 409, "This submission was changed after you opened it; open it again and "
          "make your correction on the latest version.",
          "您打开此提交后，它已被修改；请重新打开，在最新版本上更正。"),
    Entry("409.111", 409, "An encrypted submission cannot be corrected here.",
          "加密的提交不能在此更正。"),

    # --- console: people and households (4xx.121–129) ---
    Entry("404.121", 404, "No such person or household in your villages.",
          "您所辖村中没有此人或此户。"),

    # --- console: conflicts (4xx.131–139) ---
    Entry("400.133", 400, "This page link is not valid; open the conflicts list again.",
          "此页面链接无效；请重新打开冲突列表。"),
    Entry("400.131", 400, "The value chosen for {name} cannot be used; choose one of the values "
          "shown or type one (at most 2000 characters).",
          "为 {name} 选择的值无法使用；请选择所列的值之一，或输入一个值（最多 2000 个字符）。"),
    Entry("400.132", 400, "A value was typed for {name} but another value was chosen; choose "
          "\"Another value\" to use the typed one, or clear it.",
          "已为 {name} 输入了值，却选择了另一个值；要使用输入的值请选择“其他值”，否则请清空输入框。"),
    Entry("409.133", 409, "This record changed since you opened it (it is now at version "
          "{current}, you saw version {base}); nothing was changed. Reload the page and choose "
          "again.", "您打开此记录后它已被修改（现为第 {current} 版，您看到的是第 {base} 版），"
          "本次未做任何修改。请刷新页面后重新选择。"),
    Entry("409.131", 409, "This conflict was resolved by someone else meanwhile; nothing was "
          "changed. Reload the page to see the record as it is now.",
          "此冲突已由他人处理，本次未做任何修改。请刷新页面查看记录的当前状态。"),

    # --- console: phones, users, account (4xx.141–149) ---
    Entry("400.145", 400, "Tick the villages the phone serves (or, for a town officer's phone, "
          "the whole town).", "请勾选手机服务的村（镇级工作人员的手机请勾选“全镇”）。"),
    Entry("409.142", 409, "This phone's key is revoked: enrol the phone again instead of giving "
          "it a new code.", "该手机的密钥已撤销：请重新登记手机，不能再为它生成新码。"),
    Entry("400.141", 400, "The two new passwords are not the same.", "两次输入的新密码不一致。"),
    Entry("400.144", 400, "Tick the forms the phone may fill, or give it every form.",
          "请勾选手机可填写的表单，或选择所有表单。"),
    Entry("400.142", 400, "The new password is too short: it needs at least {min} characters.",
          "新密码太短：至少需要 {min} 个字符。"),
    Entry("400.143", 400, "The current password is wrong.", "当前密码不正确。"),
    Entry("400.146", 400, "Tick the villages she works in, or the whole town for town staff.",
          "请勾选她负责的村；镇级工作人员请勾选“全镇”。"),
    Entry("409.141", 409, "You cannot disable yourself or take away your own admin role: ask "
          "another admin.", "不能停用自己或取消自己的管理员角色：请另一位管理员操作。"),

    # --- console: forms and audit (4xx.151–159) ---
    Entry("400.201", 400, "The export's dates are the wrong way round: {until} is before {since}.",
          "导出的日期前后颠倒：{until} 早于 {since}。"),
    Entry("400.151", 400, "Choose a file to upload.", "请选择要上传的文件。"),

    # --- console: dashboard (4xx.161–169) ---

    # --- exports: OData feeds and $filter (4xx/5xx.191–199) ---
    Entry("400.191", 400, "The $filter could not be read at character {at} (near \u201c{near}\u201d): "
          "{reason}.", "无法解析 $filter（第 {at} 个字符，\u201c{near}\u201d附近）：{reason}。"),
    Entry("400.192", 400, "The $filter names a field at character {at} that cannot be filtered "
          "on: {reason}.", "$filter 第 {at} 个字符处的字段不能用于筛选：{reason}。"),
    Entry("400.193", 400, "The query is too large: at most {limit}.",
          "查询条件过大：最多 {limit}。"),
    Entry("400.194", 400, "The $filter at character {at} cannot be evaluated: {reason}.",
          "$filter 第 {at} 个字符处无法求值：{reason}。"),
    Entry("400.195", 400, "The $orderby at character {at} cannot be used: {reason}.",
          "$orderby 第 {at} 个字符处无法使用：{reason}。"),
    Entry("400.196", 400, "The $select names {field}, which {table} does not have.",
          "$select 中的 {field} 不是 {table} 的字段。"),
    Entry("400.197", 400, "The $skiptoken is not one this server gave; start again from the "
          "first page.", "$skiptoken 无效，请从第一页重新读取。"),
    Entry("501.191", 501, "Doorstep's OData does not serve {feature}; it serves {supported}.",
          "Doorstep 的 OData 不支持 {feature}；支持的是 {supported}。"),

    # --- browser forms (5xx/4xx.171–179) ---
    Entry("404.171", 404, "Form {form} no longer takes submissions; ask your supervisor.",
          "表单 {form} 已停止接收提交，请联系上级。"),
    Entry("503.171", 503, "Browser forms are not installed on this server: the administrator "
          "runs `flask --app wsgi webforms install`. ODK Collect works meanwhile.",
          "本服务器尚未安装浏览器表单：请管理员运行 `flask --app wsgi webforms install`。"
          "在此之前可用 ODK Collect 填报。"),

    # --- object storage (503.321–329) ---
    Entry("503.321", 503, "The file store cannot be reached ({reason}); nothing was saved. "
          "Please try again later (the phone retries by itself).",
          "无法连接文件存储（{reason}），本次内容未保存。请稍后再试（手机会自动重试）。"),
    Entry("503.322", 503, "The file store refused the request ({reason}); nothing was saved. "
          "Please try again later, and tell the administrator if it persists.",
          "文件存储拒绝了请求（{reason}），本次内容未保存。请稍后再试；如仍失败，请告知管理员。"),

    # --- webhooks (4xx.211–219) ---
    Entry("400.211", 400, "The webhook URL {url} cannot be used: {reason}.",
          "无法使用 Webhook 地址 {url}：{reason}。"),
    Entry("404.211", 404, "There is no webhook {id} in this project.",
          "本项目中没有编号为 {id} 的 Webhook。"),
    Entry("409.211", 409, "This project already sends webhooks to {url} (webhook {id}): change "
          "that one's events instead.",
          "本项目已向 {url} 发送 Webhook（编号 {id}）：请修改该订阅的事件。"),

    # --- app users and form assignments over the API (4xx.231–239) ---
    Entry("400.231", 400, "Doorstep assigns only the app-user role (id 2) on a form, not "
          "{role}: web users' roles are set on the user.",
          "表单上只能分配 app-user 角色（编号 2），不能分配 {role}：网页用户的角色在用户上设置。"),
    Entry("409.231", 409, "App user {id} already has form {form}.",
          "应用用户 {id} 已拥有表单 {form}。"),
    Entry("409.232", 409, "App user {id} was enrolled for every form, including later ones, so "
          "form {form} cannot be taken away alone: enrol the phone again with the forms it "
          "should keep.",
          "应用用户 {id} 登记时获得了全部表单（包括以后发布的），不能单独收回表单 {form}："
          "请按应保留的表单重新登记该手机。"),

    # submissions written over Central's JSON API (app/submissions/writes.py)
    Entry("400.241", 400, "The XML is a submission to form {value}, not to {form} named in "
          "the URL.", "该 XML 是表单 {value} 的提交，而不是网址中的表单 {form}。"),

    # Forms read from an upload (app/forms/xform.py): what outgrows its column
    Entry("400.261", 400, "The form's {what} is too long: {length} characters, at most "
          "{limit}.", "表单的{what_zh}过长：{length} 个字符，最多 {limit} 个。"),

    # Form drafts (app/forms/drafts.py, docs/drafts.md)
    Entry("404.4", 404, "This draft-testing link no longer works: the draft was published, "
          "deleted or replaced by a new one. Scan the draft's new QR code, or use the published "
          "form with your own phone's code.",
          "此草稿测试链接已失效：草稿已发布、删除或被新草稿替换。请扫描新草稿的二维码，或用本机的二维码使用已发布的表单。"),
    Entry("409.7", 409, "The form has never been published, so its draft cannot be deleted: "
          "replace the draft with a new one instead.",
          "该表单从未发布，不能删除其草稿：请上传新草稿替换它。"),
    Entry("400.221", 400, "Form {form} has no published version to copy into a draft: send "
          "its XForm or XLSForm.", "表单 {form} 没有可复制为草稿的已发布版本：请上传其 XForm 或 XLSForm。"),
    Entry("400.222", 400, "The uploaded form's id is {got}, not {form}, the form being "
          "updated.", "上传表单的 id 是 {got}，而不是正在更新的表单 {form}。"),
    Entry("409.221", 409, "This test submission is for version {version} of {form}, but the "
          "draft is version {draft}: download the draft again.",
          "此测试提交针对 {form} 的版本 {version}，而草稿是版本 {draft}：请重新下载草稿。"),
    # outside lists (app/quality/outside*.py, issue 23)
    Entry("400.291", 400, "The file cannot be read: {en}.", "无法读取文件：{zh}。"),
    Entry("400.292", 400, "The {kind_en} file lacks required columns: {columns}.",
          "{kind_zh}文件缺少必填列：{columns}。"),
    Entry("400.293", 400, "Unknown list kind {kind}; use one of {allowed}.",
          "未知的名单类型 {kind}，可选：{allowed}。"),
    Entry("400.294", 400, "Nothing was imported: {en}.", "未导入任何记录：{zh}。"),
    Entry("404.291", 404, "Import {id} was not found.", "未找到导入记录 {id}。"),
    Entry("404.292", 404, "Village {village} was not found.", "未找到村 {village}。"),
    Entry("413.291", 413, "The file is too large ({size} bytes); the limit is {limit} bytes.",
          "文件过大（{size} 字节），上限为 {limit} 字节。"),
    Entry("413.292", 413, "The file has more than {limit} rows: split it.",
          "文件超过 {limit} 行：请拆分后分别导入。"),
    # duplicate people (app/quality/duplicates.py)
    Entry("400.272", 400, "A duplicate pair's status is open, dismissed or merged, not {value}.",
          "重复对的状态只能是 open、dismissed 或 merged，不能是 {value}。"),
    Entry("400.271", 400, "This cursor is not one this list gave: start from its first page.",
          "此游标不是本列表给出的：请从第一页开始。"),
    Entry("404.272", 404, "No such pair of possible duplicates was found.",
          "未找到这对可能重复的人员。"),
    Entry("409.272", 409, "These two people were merged; unmerge them to change this pair.",
          "这两人已合并；请先撤销合并再修改这对记录。"),
    # Omissions: overdue pregnancies (app/quality/omissions.py, 4xx.301–309)
    Entry("400.301", 400, "The page cursor is not one this list gave; start again from the "
          "first page.", "分页游标无效，请从第一页重新读取。"),
    Entry("404.301", 404, "There is no village {village} among yours.",
          "您负责的村中没有 {village}。"),
    # Many towns on one server (docs/towns.md, 4xx.341–349)
    Entry("400.341", 400, "{username} works in every village of her towns; villages are given "
          "only to village staff.", "{username} 负责其所在镇的全部村，只有村级人员才分配村。"),
    Entry("400.342", 400, "A town needs a name of 1 to 200 characters.",
          "镇名须为 1 至 200 个字符。"),
    Entry("403.341", 403, "The county roll-up is for town-wide staff and administrators.",
          "县级汇总仅供镇级（全部村）人员和管理员查看。"),
    Entry("404.341", 404, "There is no town (project) {project}.", "没有编号为 {project} 的镇（项目）。"),
    Entry("409.341", 409, "{username} already works in town {project}.",
          "{username} 已是镇 {project} 的成员。"),
    Entry("400.361", 400, "{username} does not work in town {project}: change her in one of "
          "her towns, or add this one with `flask users grant`.",
          "{username} 不是镇 {project} 的成员：请在她所在的镇修改，或用 `flask users grant` 加入此镇。"),
    Entry("400.362", 400, "{username} works in several towns, and being town-wide holds in "
          "each of them: it is not changed from one town.",
          "{username} 在多个镇工作，“全镇”适用于她的每个镇：不能在其中一个镇里更改。"),
    Entry("400.363", 400, "{username} does not work in town {project} (an admin works in every "
          "town).", "{username} 不是镇 {project} 的成员（管理员在所有镇工作）。"),
]
CATALOGUE = {e.code: e for e in _CATALOGUE}
#: Central gives one code several meanings (409.3: "a resource already exists"); Doorstep
#: keeps one text per meaning, chosen by Problem(code, params, variant=…)
VARIANTS = {
    ("409.3", "form"): Entry("409.3", 409, "Form {form} already exists in this project: make a "
                             "new draft of it to change it.",
                             "本项目中已有表单 {form}：如需修改，请为其新建草稿。"),
    ("409.3", "list"): Entry("409.3", 409, "An entity list named {name} already exists in "
                             "this project.", "本项目中已有名为 {name} 的实体列表。"),
    ("409.3", "property"): Entry("409.3", 409, "The entity list {list} already has a property "
                                 "{name}.", "实体列表 {list} 已有属性 {name}。"),
    ("409.6", "draft"): Entry("409.6", 409, "Form {form} already has a version {version}: "
                              "publish the draft as another version (?version=…).",
                              "表单 {form} 已有版本 {version}：请以其他版本号发布草稿（?version=…）。"),
}


@dataclass
class Problem(Exception):
    """A catalogued failure. `params` fill the message; `details` go to JSON clients."""
    code: str
    params: dict = field(default_factory=dict)
    headers: list = field(default_factory=list)
    variant: str = ""

    def __post_init__(self):
        super().__init__(self.message_en)

    @property
    def entry(self):
        return VARIANTS.get((self.code, self.variant)) or CATALOGUE[self.code]

    @property
    def status(self):
        return self.entry.status

    @property
    def message_en(self):
        return self.entry.en.format(**self.params)

    @property
    def message_zh(self):
        return self.entry.zh.format(**self.params)

    def bilingual(self, english_first=False):
        """One line with both languages; the phone shows only the first <message>."""
        parts = [self.message_en, self.message_zh]
        return " / ".join(parts if english_first else reversed(parts))
