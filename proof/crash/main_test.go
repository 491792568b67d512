// Package crash proves the bot's durability promises against the real
// binary: it is started as a subprocess against an in-process wxsim,
// killed with SIGKILL at seeded points of its progress (a row count, a
// message count, a login, a download in progress: never a wall-clock delay,
// so that a slow machine only makes a test longer; the seed is logged and
// can be fixed with DUDAO_CRASH_SEED) and restarted, and afterwards the
// simulator's record of what the bot sent is reconciled with the database
// and the file store.
//
// The binary is built without -race (it is the production build, and it
// must start fast); the test process itself runs under -race in CI.
package crash_test

import (
	"math/rand"
	"os"
	"strconv"
	"testing"
	"time"

	"dudaobot/proof/harness"
)

func TestMain(m *testing.M) {
	code := m.Run()
	harness.Cleanup()
	os.Exit(code)
}

// seeded returns the RNG for one test, seeded from DUDAO_CRASH_SEED or the
// clock, and logs the seed so that a failing run's kill points can be
// replayed.
func seeded(t *testing.T) *rand.Rand {
	seed := time.Now().UnixNano()
	if s := os.Getenv("DUDAO_CRASH_SEED"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("DUDAO_CRASH_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("seed %d (replay: DUDAO_CRASH_SEED=%d)", seed, seed)
	return rand.New(rand.NewSource(seed))
}

func rand64(seed int64) *rand.Rand { return rand.New(rand.NewSource(seed)) }
