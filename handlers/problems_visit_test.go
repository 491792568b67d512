package handlers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"dudaobot/handlers/handlerstest"
	"dudaobot/rules"
)

// problemsDelivered registers 财政's three problems, delivers them with the
// feedback on 10 May 2027 and drains the outbox, returning what it held.
func problemsDelivered(t *testing.T, h *handlerstest.Harness) []rules.Outgoing {
	t.Helper()
	dir := h.Director()
	h.At(2027, time.May, 10, 9, 0)
	h.Text(dir, "问题清单 财政\n1. 教育经费台账不全\n2. 学校安全隐患未整改\n3. 控辍保学机制不健全")
	h.Text(dir, "确认")
	h.Text(dir, "反馈 财政")
	h.File(dir, "反馈.pdf", handlerstest.PDF("fb"))
	h.Text(dir, "确认")
	return h.Drain()
}

// 跟踪检查: the director records a follow-up visit (dated, with notes and
// a file sent just before), every open item gets it, 查询 shows it, the
// audit has it; bad input is refused with nothing stored.
func TestFollowUpVisit(t *testing.T) {
	h := handlerstest.New(t)
	ctx := context.Background()
	dir, czj := h.Director(), h.Official("czj")
	problemsDelivered(t, h)

	h.At(2027, time.June, 5, 9, 0)
	h.Text(czj, "整改完成 1 已补齐台账")
	h.Text(dir, "销号 财政 1")
	h.Drain()

	h.At(2027, time.June, 21, 16, 0)
	h.Text(dir, "跟踪检查")
	golden(t, "visit_usage", one(t, h.Drain()))
	h.Text(dir, "跟踪检查 财政 6月30日 已查")
	golden(t, "visit_future", one(t, h.Drain()))
	h.Text(dir, "跟踪检查 教科 6月20日")
	golden(t, "visit_no_items", one(t, h.Drain()))
	if n := visits(t, h); n != 0 {
		t.Fatalf("a refused visit stored %d events", n)
	}

	h.File(dir, "检查记录.pdf", handlerstest.PDF("visit"))
	h.Drain()
	h.Text(dir, "跟踪检查 财政 6月20日 隐患整改过半 机制在起草")
	golden(t, "visit_recorded", one(t, h.Drain()))
	h.At(2027, time.June, 22, 10, 0)
	h.Text(dir, "跟踪检查 财政")
	h.Drain()

	for _, code := range []string{"财政-2027-02", "财政-2027-03"} {
		p, _ := h.Store.Problem(ctx, code)
		var got []rules.ProblemEvent
		for _, e := range p.Events {
			if e.Kind == rules.EventVisit {
				got = append(got, e)
			}
		}
		if len(got) != 2 || got[0].Date != (rules.Date{Year: 2027, Month: time.June, Day: 20}) ||
			got[0].Reason != "隐患整改过半 机制在起草" || len(got[0].Evidence) != 1 || got[0].Evidence[0].Name != "检查记录.pdf" ||
			got[1].Date != (rules.Date{Year: 2027, Month: time.June, Day: 22}) || len(got[1].Evidence) != 0 {
			t.Errorf("%s visits = %+v", code, got)
		}
	}
	if p, _ := h.Store.Problem(ctx, "财政-2027-01"); len(p.Events) != 2 {
		t.Errorf("the closed item got a visit: %+v", p.Events)
	}
	trail, err := h.Store.AuditTrail(ctx, 2027, "czj")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range trail {
		if a.Action == "problem_visit" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("audit rows of visits = %d, want 2", n)
	}

	h.Text(dir, "查询 财政")
	got := one(t, h.Drain())
	i := strings.Index(got, "整改事项")
	if i < 0 {
		t.Fatalf("查询 lacks the items:\n%s", got)
	}
	golden(t, "visit_query", got[i:])
	h.Text(czj, "跟踪检查 财政")
	if got := one(t, h.Drain()); strings.Contains(got, "已登记") {
		t.Errorf("an official recorded a visit: %s", got)
	}
}

// visits counts the visit events of 财政's items.
func visits(t *testing.T, h *handlerstest.Harness) int {
	t.Helper()
	ps, err := h.Store.Problems(context.Background(), 2027, "czj")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range ps {
		for _, e := range p.Events {
			if e.Kind == rules.EventVisit {
				n++
			}
		}
	}
	return n
}
