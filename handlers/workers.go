package handlers

import (
	"context"
	"fmt"
	"sync"
	"time"

	"dudaobot/internal/waitgroup"
)

// jobTimeout bounds one message's handling on its worker.
const jobTimeout = 10 * time.Minute

// workers run each sender's messages one at a time, in arrival order, one
// goroutine per sender with work queued. Messages queued before start wait.
// The mutex guards the queues and flags only; a job never runs under it.
type workers struct {
	mu       sync.Mutex
	queues   map[string]*queue
	started  bool
	stopping bool
	runCtx   context.Context
	wg       sync.WaitGroup
}

type queue struct {
	jobs    []func(context.Context)
	running bool
}

func newWorkers() *workers { return &workers{queues: map[string]*queue{}} }

// enqueue appends job to the sender's queue; its worker runs the jobs one
// at a time, in order, each with its own timeout under the run context.
func (w *workers) enqueue(sender string, job func(context.Context)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	q := w.queues[sender]
	if q == nil {
		q = &queue{}
		w.queues[sender] = q
	}
	q.jobs = append(q.jobs, job)
	if w.started && !q.running {
		w.spawn(sender, q)
	}
}

// start lets the workers run. Handlers finish their message even while the
// process shuts down (a receipt half-written is worse than a slower exit),
// so the run context does not carry ctx's cancellation.
func (w *workers) start(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.startLocked(ctx)
}

// startLocked is the one place the queued workers are spawned; w.mu is held.
func (w *workers) startLocked(ctx context.Context) {
	if w.started {
		return
	}
	w.started = true
	w.runCtx = context.WithoutCancel(ctx)
	for sender, q := range w.queues {
		if len(q.jobs) > 0 && !q.running {
			w.spawn(sender, q)
		}
	}
}

// stop refuses new messages (stopped), runs what is queued even if start
// never came, and waits until the queues drain or ctx ends.
func (w *workers) stop(ctx context.Context) error {
	w.mu.Lock()
	w.stopping = true
	w.startLocked(ctx)
	w.mu.Unlock()
	if err := waitgroup.Wait(ctx, &w.wg); err != nil {
		return fmt.Errorf("handlers: stop: %w", err)
	}
	return nil
}

func (w *workers) stopped() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stopping
}

func (w *workers) wait() { w.wg.Wait() }

// spawn starts the worker of one sender; w.mu is held.
func (w *workers) spawn(sender string, q *queue) {
	q.running = true
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		for {
			w.mu.Lock()
			if len(q.jobs) == 0 {
				q.running = false
				delete(w.queues, sender)
				w.mu.Unlock()
				return
			}
			job := q.jobs[0]
			q.jobs = q.jobs[1:]
			ctx := w.runCtx
			w.mu.Unlock()
			run(ctx, job)
		}
	}()
}

func run(ctx context.Context, job func(context.Context)) {
	ctx, cancel := context.WithTimeout(ctx, jobTimeout)
	defer cancel()
	job(ctx)
}
