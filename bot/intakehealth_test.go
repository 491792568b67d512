package bot_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"dudaobot/bot"
	"dudaobot/clock"
	"dudaobot/rules"
	"dudaobot/wxsim"
)

// TestIntakeStatusSequence: while the Intake cannot record, the bot reports
// "failing" once (when the first retry failed too, since the first failure,
// with the last error), never again during the same outage however many
// retries fail, and "recovered" once with how long the messages were held
// and how many the successful retry took. A single failed attempt that the
// first retry cures reports nothing. Both the one-by-one Intake and the
// BatchIntake path.
func TestIntakeStatusSequence(t *testing.T) {
	errFull := errors.New("storage: record inbound: disk full")
	for _, batched := range []bool{false, true} {
		name := "accept"
		if batched {
			name = "batch"
		}
		t.Run(name, func(t *testing.T) {
			sim := newSim(t, wxsim.Options{AutoConfirm: true})
			zhang := sim.AddContact("张三", "czj-zhang")
			clk := clock.NewFake(time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC))
			var mu sync.Mutex
			failFor := map[string]int{} // text → attempts still to refuse
			refused := make(chan string, 100)
			refuse := func(texts ...string) error {
				mu.Lock()
				defer mu.Unlock()
				for _, tx := range texts {
					if failFor[tx] != 0 {
						if failFor[tx] > 0 {
							failFor[tx]--
						}
						refused <- tx
						return errFull
					}
				}
				return nil
			}
			setFail := func(text string, n int) {
				mu.Lock()
				failFor[text] = n
				mu.Unlock()
			}
			in := newIntake()
			in.setHook(func(_ context.Context, m rules.Inbound) error { return refuse(m.Text) })
			var intake bot.Intake = in
			if batched {
				bi := newBatchIntake()
				bi.setBatchHook(func(_ context.Context, ins []rules.Inbound) error {
					var texts []string
					for _, m := range ins {
						texts = append(texts, m.Text)
					}
					return refuse(texts...)
				})
				in, intake = bi.fakeIntake, bi
			}
			reports := make(chan bot.IntakeStatus, 16)
			r := startClient(t, sim, in, clientOpts{now: clk.Now, intake: intake, mod: func(o *bot.Options) {
				o.OnIntake = func(st bot.IntakeStatus) { reports <- st }
			}})
			r.waitStatus(t, true)
			guard := ctxT(t)
			waitRefused := func(text string) {
				t.Helper()
				select {
				case got := <-refused:
					if got != text {
						t.Fatalf("refused %q, want %q", got, text)
					}
				case <-guard.Done():
					t.Fatalf("hung waiting for %q to be refused", text)
				}
			}
			waitReport := func() bot.IntakeStatus {
				t.Helper()
				select {
				case st := <-reports:
					return st
				case <-guard.Done():
					t.Fatal("hung waiting for an intake status")
				}
				return bot.IntakeStatus{}
			}

			// One failure, cured by the first retry: nothing to report.
			setFail("一", 1)
			id1, _ := sim.SendText(zhang.ID, "一")
			waitRefused("一")
			in.waitMsg(t, id1, 1)

			// An outage: every retry fails until the test lets it through.
			setFail("二", -1)
			id2, _ := sim.SendText(zhang.ID, "二")
			since := clk.Now()
			waitRefused("二")
			waitRefused("二")
			st := waitReport()
			if !st.Failing || !st.Since.Equal(since) || !errors.Is(st.Err, errFull) {
				t.Errorf("failing status = %+v, want Failing since %v with the intake's error", st, since)
			}
			for range 3 { // more failed retries: no second report
				waitRefused("二")
			}
			clk.Advance(5 * time.Minute)
			setFail("二", 0)
			in.waitMsg(t, id2, 1)
			st = waitReport()
			if st.Failing || !st.Since.Equal(since) || st.Held != 5*time.Minute || st.Messages != 1 || st.Err != nil {
				t.Errorf("recovered status = %+v, want held 5m since %v, 1 message", st, since)
			}

			// A later single failure is a new episode: still nothing.
			setFail("三", 1)
			id3, _ := sim.SendText(zhang.ID, "三")
			waitRefused("三")
			in.waitMsg(t, id3, 1)
			select {
			case extra := <-reports:
				t.Errorf("unexpected intake status %+v", extra)
			default:
			}
		})
	}
}
