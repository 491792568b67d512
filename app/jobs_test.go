package app_test

import (
	"testing"
	"time"

	"dudaobot/app"
	"dudaobot/rules"
)

// Ensure a jump stops at every reminder slot time and end of quiet hours on
// the way, and never leaves a gap that catchup_grace would call an outage.
func TestCheckpoints(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	p := rules.DefaultReminderPolicy() // slot 10:00, quiet until 08:00, grace 6h
	from := time.Date(2027, 1, 10, 9, 0, 0, 0, loc)
	to := time.Date(2027, 1, 12, 10, 30, 0, 0, loc)
	cps := app.Checkpoints(from, to, p, loc)
	has := map[time.Time]bool{}
	prev := from
	for _, c := range cps {
		if !c.After(prev) || !c.Before(to) {
			t.Fatalf("checkpoint %v out of order or range (prev %v)", c, prev)
		}
		if gap := c.Sub(prev); gap > p.CatchupGrace/2 {
			t.Errorf("gap of %v before %v", gap, c)
		}
		has[c] = true
		prev = c
	}
	for _, want := range []time.Time{
		time.Date(2027, 1, 10, 10, 0, 0, 0, loc),
		time.Date(2027, 1, 11, 8, 0, 0, 0, loc),
		time.Date(2027, 1, 11, 10, 0, 0, 0, loc),
		time.Date(2027, 1, 12, 8, 0, 0, 0, loc),
		time.Date(2027, 1, 12, 10, 0, 0, 0, loc),
	} {
		if !has[want] {
			t.Errorf("no checkpoint at %v", want)
		}
	}
	if got := app.Checkpoints(to, to, p, loc); len(got) != 0 {
		t.Errorf("empty range gave %v", got)
	}
}
