package handlers

import (
	"strings"

	"dudaobot/rules"
)

// routes is the bot's menu: every command word and who may use it. Words
// are normalised (half-width, no separators); the router also matches a word
// typed without a space before its argument. The 帮助 texts, one per role,
// are in texts.go.
func (d *Conversations) routes() *Router {
	m := NewRouter()
	ro := d.env.readOnly      // answers that change nothing (reply.go)
	isUnit := d.env.isUnitArg // the argument names a unit

	// Everyone configured.
	m.Handle("帮助", Members|Inspectors|InGroups, ro(d.help)) // the commands of the sender's role
	m.Handle("菜单", Members|Inspectors|InGroups, ro(d.help))
	m.Handle("help", Members|Inspectors|InGroups, ro(d.help))
	m.Handle("状态", Members, ro(d.status))        // official: own unit; director: 总览
	m.Handle(OnFile, Members|Inspectors, d.file) // a template (sheets.go), a submission; director: pairs with 反馈/下发
	m.Handle(OnOther, Members, d.unsupported)    // 暂不支持此类消息
	m.Handle(OnUnknown, Members, d.unknown)      // awaited text, or the help

	// Officials, for their own unit.
	m.Handle("整改方案", Officials, d.off.textPlan)     // plan as text, previewed
	m.Handle("撤回", Officials, d.off.withdraw)       // the sender's last submission, within 30 minutes
	m.Handle("补充材料", Officials, d.off.asSupporting) // the last file is supporting material, not a new version
	m.Handle("1", Members, d.choose)                // answers 「请回复 1 … / 2 …」
	m.Handle("2", Members, d.choose)
	m.Handle("3", Members, d.choose)
	m.Handle("收到", Officials|InGroups, d.off.ack)       // acknowledges every open notice
	m.Handle("查询", Members, ro(d.dir.query))            // officials: own unit only (BOLA)
	m.Handle("调阅", Members, d.dir.retrieve)             // [单位] [阶段] [版本]: the stored files sent back (retrieve.go); officials: own unit only
	m.Handle("检查详情", Members, ro(d.checks.checkDetail)) // the latest self-assessment report's content check; officials: own unit only
	m.Handle("成绩", Members, ro(d.sc.scores))            // [单位]; officials: own unit, once published

	// Directors.
	m.Handle("总览", Directors, ro(d.dir.overview)) // counts per stage, missing units
	m.Handle("未交", Directors, ro(d.dir.missing))  // [阶段]
	m.Handle("逾期", Directors, ro(d.dir.overdue))
	m.Handle("催办", Directors, d.dir.remind)                  // <单位|全部>
	m.Handle("督导结束", Directors, d.dir.inspectionEnd)         // <日期>
	m.Handle("反馈", Directors, d.notices.feedback)            // <单位> + a file within 10 minutes
	m.Handle("整改期限", Directors, d.dir.rectificationDue)      // <单位> <日期>
	m.Handle("下发", Directors, d.notices.broadcast)           // [文字], or a file within 10 minutes
	m.Handle("未回复", Directors, ro(d.notices.unacknowledged)) // units without 收到
	m.Handle("导出", Directors, d.dir.export)                  // the Excel ledger as a file
	m.Handle("报告", Directors, d.dir.annualReport)            // the year's report draft (.docx)
	m.Handle("受检单位", Directors, d.dir.inspected)             // [单位 …]: this year's inspected units (preview, 确认)
	m.Handle("绑定列表", Directors, ro(d.binds.bindingList))     // who acts by a binding code, since when, which code
	m.Handle("解绑", Directors, d.binds.askUnbind)             // <备注名|姓名>: end a code binding (preview, 确认)
	m.Handle("结果清单", Directors, ro(d.sc.resultList))         // 表彰建议, 不合格, 约谈/通报建议 with reasons
	m.Handle("发布成绩", Directors, d.sc.askPublish)             // preview; on 确认 each unit's officials are told

	// Score templates (scoresheets.go); a filled one sent back is
	// recognised as a file (sheets.go).
	m.Handle("自评表", Members, d.sc.selfTemplate)                    // the unit's blank 自评表; director: 自评表 <单位>
	m.Handle("评分表", Directors|Inspectors, d.sc.inspectionTemplate) // the blank 评分表, one sheet per unit

	// Problem lists and rectification items (problems.go).
	m.Handle("问题清单模板", Directors, d.probs.listTemplate)            // <单位>: the template; the filled .xlsx back within 10 minutes is previewed
	m.Handle("问题清单", Directors, d.probs.askList)                   // <单位> + numbered lines (preview, 确认)
	m.Handle("整改措施", Officials, d.probs.plan)                      // numbered plan lines per item
	m.Handle("整改完成", Officials, d.probs.done)                      // <序号> <整改情况>
	m.Handle("销号", Directors, d.probs.decide(rules.EventVerified)) // <单位> <序号>
	m.Handle("退回", Directors, d.probs.decide(rules.EventReturned)) // <单位> <序号> <新时限> <原因>
	m.Handle("延期", Directors, d.probs.decide(rules.EventExtended)) // <单位> <序号> <新时限> <原因> [不计逾期]
	m.Handle("整改逾期", Directors, ro(d.probs.overdue))
	m.Handle("整改台账", Directors, d.probs.ledger)
	m.Handle("跟踪检查", Directors, d.probs.visit) // <单位> [日期] [情况]; a file sent just before is its record

	// Answers to a preview (下发, 反馈, 督导结束, 整改期限, 整改方案 text).
	m.Handle("确认", Members|Inspectors, d.confirms.confirm)
	m.Handle("取消", Members|Inspectors, d.confirms.cancel)

	// Strangers: a one-time code from `dudaobot codes`.
	m.Handle("绑定", Strangers|Members, d.binds.bind)

	// Arguments that parse exactly may follow their word after any
	// separator or glued to it (「查询财政局」); see Router.Arg.
	m.Arg("查询", isUnit)
	m.Arg("检查详情", isUnit)
	m.Arg("成绩", isUnit)
	m.Arg("自评表", isUnit)
	m.Arg("反馈", isUnit)
	m.Arg("催办", func(a []string) bool { return isAllArg(a) || isUnit(a) })
	m.Arg("整改期限", func(a []string) bool { return len(a) >= 2 && isUnit(a[:1]) && isDateArg(a[1:]) })
	m.Arg("督导结束", isDateArg)
	m.Arg("绑定", isCodeArg)
	m.Arg("未交", func(a []string) bool { _, ok := parseStage(strings.Join(a, "")); return ok })
	d.mux = m // 1 after 「您是指…吗」 runs the kept command through it (guess.go)
	return m
}

// middleware is the fixed order every message goes through. The first three
// run inside Accept; handoff queues the rest to the sender's worker.
func (d *Intake) middleware() Middleware {
	return Chain(recoverer(d.log), logger(d.log), d.dedupe, d.afterDedupe())
}

// afterDedupe is the part of the chain after the inbox row is recorded:
// AcceptBatch records a whole batch itself and enters here per message.
func (d *Intake) afterDedupe() Middleware {
	return Chain(d.handoff, d.identify, d.rate.limit, d.authorise)
}
