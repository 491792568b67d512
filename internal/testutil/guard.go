package testutil

import (
	"context"
	"testing"
	"time"
)

// noDeadline is the hang guard of a test run without a deadline
// (go test -timeout 0).
const noDeadline = 30 * time.Minute

// GuardDeadline is the moment a test's hang guard ends: shortly before the
// test binary's own deadline (go test -timeout), leaving time to log what
// was missing and to clean up, or 30 minutes from now without one. It is
// never a time limit a test relies on: a slow or loaded machine only makes
// a test take longer, up to the deadline the whole run has anyway.
func GuardDeadline(tb testing.TB) time.Time {
	if d, ok := tb.(interface{ Deadline() (time.Time, bool) }); ok {
		if td, ok := d.Deadline(); ok {
			return td.Add(-max(30*time.Second, time.Until(td)/20))
		}
	}
	return time.Now().Add(noDeadline)
}

// HangGuard returns a context that ends at GuardDeadline(tb), cancelled when
// the test ends. Waits on progress use it only to fail a hung test with a
// clear message instead of the runtime's panic.
func HangGuard(tb testing.TB) context.Context {
	ctx, cancel := context.WithDeadline(context.Background(), GuardDeadline(tb))
	tb.Cleanup(cancel)
	return ctx
}

// GuardBudget is the time left until GuardDeadline(tb), at least a minute.
// A test of content (not of a deadline) passes it where production code
// wants a timeout, so that a loaded machine cannot fail it.
func GuardBudget(tb testing.TB) time.Duration {
	return max(time.Until(GuardDeadline(tb)), time.Minute)
}

// WaitFor polls cond until it is true, or until ctx ends (then it reports
// cond once more). ctx is a hang guard (see HangGuard), never a time limit
// the test relies on.
func WaitFor(ctx context.Context, cond func() bool) bool {
	tick := time.NewTicker(5 * time.Millisecond) // poll interval, not a wait for an outcome
	defer tick.Stop()
	for {
		if cond() {
			return true
		}
		select {
		case <-ctx.Done():
			return cond()
		case <-tick.C:
		}
	}
}
