package handlers

// Conversations are the commands: the menu (routes.go) and the handlers
// behind it, grouped by who they serve. Each group is a small type over the
// shared env:
//
//   - director: the office's commands on the cycle (director.go,
//     inspected.go);
//   - notices: 反馈, 下发, the director's files, 未回复 (notices.go);
//   - official: a unit's submissions, plans, withdrawals (official.go,
//     withdraw.go);
//   - confirmations: previews waiting for 确认 (confirm.go);
//   - receiver: checking and storing an inbound file (files.go, limits.go);
//   - reportChecks: the content check of self-assessment reports
//     (reportcheck.go);
//   - bindings: 绑定, 绑定列表, 解绑 (bind.go, unbind.go), shared with Intake;
//   - scores: 成绩, 结果清单 and 发布成绩 (scores.go);
//   - problems: problem lists and rectification items (problems.go).
//
// Conversations itself keeps what pairs a message with the right group: a
// file, the answer to a question, text that is no command.
type Conversations struct {
	env      *env
	dir      *director
	notices  *notices
	off      *official
	confirms *confirmations
	recv     *receiver
	checks   *reportChecks
	binds    *bindings
	sc       *scores
	probs    *problems
	mux      *Router // the menu, set once by routes
	// sheets is the recogniser table of incoming workbooks (sheets.go).
	sheets []sheetKind
}

// director is the office's commands.
type director struct {
	*env
	confirms *confirmations
	off      *official
}

// official is a unit's commands.
type official struct {
	*env
	confirms *confirmations
	checks   *reportChecks
}

func newConversations(e *env, binds *bindings) *Conversations {
	confirms := &confirmations{env: e}
	checks := &reportChecks{env: e}
	off := &official{env: e, confirms: confirms, checks: checks}
	dir := &director{env: e, confirms: confirms, off: off}
	sc := &scores{env: e, confirms: confirms}
	notes := &notices{env: e, confirms: confirms}
	probs := &problems{env: e, confirms: confirms, off: off}
	confirms.dir, confirms.notices, confirms.off, confirms.binds, confirms.sc, confirms.probs = dir, notes, off, binds, sc, probs
	binds.confirms = confirms
	c := &Conversations{
		env: e, dir: dir, notices: notes, off: off, confirms: confirms, checks: checks, binds: binds,
		recv: newReceiver(e), sc: sc, probs: probs,
	}
	c.sheets = c.sheetKinds()
	return c
}
