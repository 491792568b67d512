// Package waitgroup waits for a sync.WaitGroup no longer than a context
// allows: shutdown paths (the app's jobs, the handlers' workers) must give
// up when their grace period ends instead of hanging on a stuck goroutine.
package waitgroup

import (
	"context"
	"sync"
)

// Wait returns nil once wg is done, or ctx's error if ctx ends first. The
// goroutine that waits for wg outlives an early return until wg is done.
func Wait(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
