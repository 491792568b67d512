package waitgroup_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"dudaobot/internal/waitgroup"
)

func TestWaitDone(t *testing.T) {
	var wg sync.WaitGroup
	release := make(chan struct{})
	wg.Go(func() { <-release })
	close(release)
	if err := waitgroup.Wait(context.Background(), &wg); err != nil {
		t.Fatalf("Wait = %v, want nil once the group is done", err)
	}
}

func TestWaitContextEndsFirst(t *testing.T) {
	var wg sync.WaitGroup
	release := make(chan struct{})
	wg.Go(func() { <-release })
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := waitgroup.Wait(ctx, &wg); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait = %v, want context.Canceled while the group still runs", err)
	}
}
