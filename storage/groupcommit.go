package storage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
)

// Write serialisation and group commit.
//
// SQLite has one writer at a time. Left to itself, a second writer waits in
// SQLite's busy handler, which sleeps 1, 2, 5, 10 … ms between tries while it
// holds a pooled connection; with many workers the pool (4) fills with
// sleeping writers and even reads wait for a connection. So, on SQLite,
// every write of this process first takes writeGate (a Go semaphore: the
// next writer wakes the moment the previous one commits, and it takes no
// connection while it waits). SQLite's own locking stays the rule for other
// processes (the CLI), which still meet the busy handler.
//
// On top of that, the hot per-message writes (FinishInbound, and the inbox
// rows of a sync batch) go through ONE committer goroutine: it takes
// whatever calls are waiting (up to maxGroup) and runs them, in arrival
// order, in one transaction, so N callers cost one commit (one fsync)
// instead of N. Each caller returns only after that transaction committed,
// with its own result. If any call of the group fails, the group is rolled
// back and each call is run again in a transaction of its own, so one bad
// call fails only itself.

// maxGroup bounds the calls committed together.
const maxGroup = 64

// groupTimeout bounds one group's transaction: it runs for many callers, so
// no single caller's context may cancel it (a caller's context only keeps
// its call out of a group that has not started yet).
const groupTimeout = 2 * time.Minute

// errClosed is returned for calls made after Close.
var errClosed = errors.New("store closed")

// writeGate serialises this process's writers on SQLite; on PostgreSQL it
// is a no-op (row locks, and no busy handler).
type writeGate struct{ ch chan struct{} }

func newWriteGate(enabled bool) writeGate {
	if !enabled {
		return writeGate{}
	}
	return writeGate{ch: make(chan struct{}, 1)}
}

func (g writeGate) lock(ctx context.Context) error {
	if g.ch == nil {
		return nil
	}
	select {
	case g.ch <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g writeGate) unlock() {
	if g.ch != nil {
		<-g.ch
	}
}

// write runs one statement outside a transaction (autocommit) under the
// write gate.
func (s *Store) write(ctx context.Context, fn func(db *gorm.DB) *gorm.DB) *gorm.DB {
	if err := s.gate.lock(ctx); err != nil {
		db := s.db.WithContext(ctx)
		_ = db.AddError(err)
		return db
	}
	defer s.gate.unlock()
	return fn(s.db.WithContext(ctx))
}

type groupCall struct {
	ctx  context.Context
	fn   func(tx *gorm.DB) error
	done chan error
}

type committer struct {
	s      *Store
	wake   chan struct{} // capacity 1: "the queue is not empty"
	exited chan struct{}

	mu      sync.Mutex
	queue   []*groupCall
	closing bool

	// hold is taken before each group is taken from the queue; tests hold
	// it to make the calls pile up into one group.
	hold sync.Mutex

	// Counters for tests: groups of more than one call committed
	// together, and groups that failed and were run call by call.
	grouped, split atomic.Int64
}

func newCommitter(s *Store) *committer {
	c := &committer{s: s, wake: make(chan struct{}, 1), exited: make(chan struct{})}
	go c.run()
	return c
}

// groupTx runs fn in a transaction shared with the other calls waiting at
// the same moment. It returns once that transaction committed (nil) or fn's
// own error. fn may run twice (once in the group, once alone after another
// call of the group failed): it must set, not accumulate, what it reports.
func (s *Store) groupTx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := s.gc
	call := &groupCall{ctx: ctx, fn: fn, done: make(chan error, 1)}
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return errClosed
	}
	c.queue = append(c.queue, call)
	select { // under c.mu: close() closes wake under it too
	case c.wake <- struct{}{}:
	default: // already signalled
	}
	c.mu.Unlock()
	// No select on ctx: once queued the call may be in a running group, and
	// the caller must learn whether its rows are durable.
	return <-call.done
}

func (c *committer) run() {
	defer close(c.exited)
	for {
		_, open := <-c.wake
		for c.next() {
		}
		if !open {
			return // closing: no call can be queued any more, and none is left
		}
	}
}

// next commits the next group; false if the queue was empty.
func (c *committer) next() bool {
	c.hold.Lock()
	defer c.hold.Unlock()
	c.mu.Lock()
	n := min(len(c.queue), maxGroup)
	group := make([]*groupCall, n)
	copy(group, c.queue)
	c.queue = c.queue[n:]
	if len(c.queue) == 0 {
		c.queue = nil // drop the backing array
	}
	c.mu.Unlock()
	if n == 0 {
		return false
	}
	c.commit(group)
	return true
}

// commit runs the live calls of group in one transaction, or each alone if
// that fails, and answers every call.
func (c *committer) commit(group []*groupCall) {
	live := group[:0]
	for _, call := range group {
		if err := call.ctx.Err(); err != nil {
			call.done <- err // never started: nothing written
			continue
		}
		live = append(live, call)
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	if len(live) == 1 {
		live[0].done <- c.s.tx(ctx, live[0].run)
		return
	}
	began := false
	err := c.s.tx(ctx, func(tx *gorm.DB) error {
		began = true
		for _, call := range live {
			if err := call.run(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		c.grouped.Add(1)
	}
	if err == nil || !began {
		// Committed, or the transaction never began (the database is
		// locked or gone): the same answer for every call.
		for _, call := range live {
			call.done <- err
		}
		return
	}
	c.split.Add(1)
	// Nothing of the group was kept: each call again, alone, so that only
	// the failing one fails. (A failed statement also aborts the whole
	// transaction on PostgreSQL, so the others could not go on in it.)
	for _, call := range live {
		call.done <- c.s.tx(ctx, call.run)
	}
}

// run calls fn; a panic becomes the call's error rather than killing the
// committer (and with it every caller).
func (call *groupCall) run(tx *gorm.DB) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in grouped write: %v", p)
		}
	}()
	return call.fn(tx)
}

// close refuses new calls, lets the queued ones finish and stops the
// committer.
func (c *committer) close() {
	c.mu.Lock()
	if !c.closing {
		c.closing = true
		close(c.wake)
	}
	c.mu.Unlock()
	<-c.exited
}
