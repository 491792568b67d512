package storage_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"dudaobot/clock"
	"dudaobot/rules"
	"dudaobot/storage"
	"dudaobot/storage/storagetest"
)

// onEveryDriver runs f on a fresh store per driver (SQLite always,
// PostgreSQL when DUDAO_TEST_PG_DSN is set).
func onEveryDriver(t *testing.T, f func(t *testing.T, s *storage.Store, clk *clock.Fake)) {
	for _, drv := range storagetest.Drivers() {
		t.Run(drv, func(t *testing.T) {
			clk := clock.NewFake(t0)
			s := testDB{storagetest.Options(t, drv, clk.Now)}.open(t)
			f(t, s, clk)
		})
	}
}

// claimAll claims one row at a time until none is due and returns the keys
// in claim order.
func claimAll(t *testing.T, s *storage.Store, now time.Time) []string {
	t.Helper()
	var keys []string
	for {
		got, err := s.ClaimDue(ctx, now, 1, time.Hour)
		mustNoErr(t, err)
		if len(got) == 0 {
			return keys
		}
		keys = append(keys, got[0].Key)
		mustNoErr(t, s.MarkSent(ctx, got[0].ID, now))
	}
}

func out(key, kind, to string) rules.Outgoing {
	return rules.Outgoing{Key: key, Kind: kind, To: rules.Recipient{Remark: to}, Text: key}
}

// TestClaimOrderLanesAndTurns: replies go before every bulk row queued
// earlier; within a lane each recipient's first row goes before anyone's
// second (one 下发 to many cannot starve a later reminder to someone else).
func TestClaimOrderLanesAndTurns(t *testing.T) {
	onEveryDriver(t, func(t *testing.T, s *storage.Store, clk *clock.Fake) {
		// A broadcast to a, b, c queued first; then two more rows to a.
		mustNoErr(t, s.Enqueue(ctx, out("bc:a", "broadcast", "a"), out("bc:b", "broadcast", "b"), out("bc:c", "broadcast", "c")))
		mustNoErr(t, s.Enqueue(ctx, out("rem:a", "reminder", "a"), out("digest:a", "digest", "a")))
		// Later: a reminder to d, an alert, a reply to b and a receipt to a.
		clk.Advance(time.Second)
		mustNoErr(t, s.Enqueue(ctx, out("rem:d", "reminder", "d"), out("alert:dir", "alert", "dir")))
		mustNoErr(t, s.Enqueue(ctx, out("reply:b", "reply", "b"), out("receipt:a", "receipt", "a"), out("reply:b2", "reply", "b")))
		got := claimAll(t, s, clk.Now())
		want := []string{
			"alert:dir", "reply:b", "receipt:a", "reply:b2", // first lane: turn 1 in queue order, then b's second
			"bc:a", "bc:b", "bc:c", "rem:d", // bulk turn 1, in queue order
			"rem:a", "digest:a", // a's second and third
		}
		if !slices.Equal(got, want) {
			t.Errorf("claim order\n got %v\nwant %v", got, want)
		}
	})
}

// TestClaimKeepsRecipientOrder: one recipient's messages go in the order
// they were queued, also when some of the earlier ones were already sent
// (the turn once counted the unsent rows, so a row queued after two sends
// took turn 2 and went before the older row at turn 3); a recipient with
// nothing queued still goes before anyone's second.
func TestClaimKeepsRecipientOrder(t *testing.T) {
	onEveryDriver(t, func(t *testing.T, s *storage.Store, clk *clock.Fake) {
		mustNoErr(t, s.Enqueue(ctx, out("a1", "reply", "a"), out("a2", "reply", "a"), out("a3", "reply", "a")))
		for _, want := range []string{"a1", "a2"} {
			got, err := s.ClaimDue(ctx, clk.Now(), 1, time.Hour)
			mustNoErr(t, err)
			if len(got) != 1 || got[0].Key != want {
				t.Fatalf("claim %+v, want %s", got, want)
			}
			mustNoErr(t, s.MarkSent(ctx, got[0].ID, clk.Now()))
		}
		clk.Advance(time.Second)
		mustNoErr(t, s.Enqueue(ctx, out("a4", "reply", "a"), out("b1", "reply", "b")))
		if order := claimAll(t, s, clk.Now()); !slices.Equal(order, []string{"b1", "a3", "a4"}) {
			t.Errorf("order %v, want b1 (b's first), then a3 before a4", order)
		}
	})
}

// TestEnqueueTurnQueryPlan pins the new row's turn to one seek in
// ix_outbox_turn on every column it filters on: no scan of the
// recipient's queued rows, which grew with every message queued to them.
func TestEnqueueTurnQueryPlan(t *testing.T) {
	s := newSQLiteDB(t, clock.NewFake(t0)).open(t)
	plan, err := storage.ExplainEnqueueTurn(ctx, s)
	mustNoErr(t, err)
	t.Logf("plan:\n%s", plan)
	if want := "SEARCH q USING COVERING INDEX ix_outbox_turn (to_remark=? AND to_user=? AND to_group=? AND lane=? AND status=?)"; !strings.Contains(plan, want) {
		t.Errorf("turn plan lacks %q:\n%s", want, plan)
	}
}

// TestHoldRecipient: the claimed row and the recipient's other pending
// rows due before the hold go to pending until it, in one write, the claim
// not counted; alerts, other recipients and rows already held later stay.
func TestHoldRecipient(t *testing.T) {
	onEveryDriver(t, func(t *testing.T, s *storage.Store, clk *clock.Fake) {
		later := out("a-later", "reminder", "a")
		later.NextTry = clk.Now().Add(48 * time.Hour)
		mustNoErr(t, s.Enqueue(ctx, out("a1", "reminder", "a"), out("a2", "broadcast", "a"), out("a3", "reply", "a"),
			out("alert", "alert", "a"), out("b1", "reminder", "b"), later))
		got, err := s.ClaimDue(ctx, clk.Now(), 1, time.Hour)
		mustNoErr(t, err)
		if len(got) != 1 || got[0].Key != "a3" {
			t.Fatalf("claim %+v", got)
		}
		until := clk.Now().Add(20 * time.Hour)
		n, err := s.HoldRecipient(ctx, got[0].ID, got[0].To, until, "daily cap per person reached")
		mustNoErr(t, err)
		if n != 3 {
			t.Errorf("held %d rows, want 3 (a1, a2, a3)", n)
		}
		all, err := s.Outbox(ctx, "")
		mustNoErr(t, err)
		for _, m := range all {
			held := m.Key == "a1" || m.Key == "a2" || m.Key == "a3"
			if got := m.NextTry.Equal(until); got != held || m.Status != rules.OutboxPending || m.Attempts != 0 {
				t.Errorf("%s: %+v (held %v)", m.Key, m, held)
			}
		}
		_, err = s.HoldRecipient(ctx, 9999, rules.Recipient{Remark: "nobody"}, until, "")
		wantErr(t, err, storage.ErrNotFound)
	})
}

// TestReplaceQueryPlan pins the supersede of a replaced reply to the
// pending rows of its key: every 状态 answer to one person shares a key,
// and the superseded ones, which stay, must not be read again for each
// new answer.
func TestReplaceQueryPlan(t *testing.T) {
	s := newSQLiteDB(t, clock.NewFake(t0)).open(t)
	plan, err := storage.ExplainReplace(ctx, s)
	mustNoErr(t, err)
	t.Logf("plan:\n%s", plan)
	if want := "USING INDEX ix_outbox_pending_replace (replace_key=? AND status=?)"; !strings.Contains(plan, want) {
		t.Errorf("replace plan lacks %q:\n%s", want, plan)
	}
}

// TestClaimRescuedLeaseKeepsLaneOrder: a row whose lease expired is claimed
// again, but a due reply still goes first.
func TestClaimRescuedLeaseKeepsLaneOrder(t *testing.T) {
	onEveryDriver(t, func(t *testing.T, s *storage.Store, clk *clock.Fake) {
		mustNoErr(t, s.Enqueue(ctx, out("rem:a", "reminder", "a")))
		got, err := s.ClaimDue(ctx, clk.Now(), 1, time.Minute)
		mustNoErr(t, err)
		if len(got) != 1 {
			t.Fatalf("claim: %+v", got)
		}
		clk.Advance(2 * time.Minute) // the sender died: the lease expires
		mustNoErr(t, s.Enqueue(ctx, out("reply:b", "reply", "b")))
		if order := claimAll(t, s, clk.Now()); !slices.Equal(order, []string{"reply:b", "rem:a"}) {
			t.Errorf("order %v, want the reply, then the rescued reminder", order)
		}
	})
}

// TestReplaceKeySupersedes: a newer reply with the same replace key
// supersedes the older one still pending, in the enqueue transaction; a
// row being sent is not touched; re-queuing the same key drops nothing; a
// receipt cannot carry a replace key.
func TestReplaceKeySupersedes(t *testing.T) {
	onEveryDriver(t, func(t *testing.T, s *storage.Store, clk *clock.Fake) {
		reply := func(key string) rules.Outgoing {
			m := out(key, "reply", "a")
			m.ReplaceKey = "reply:状态:a"
			return m
		}
		mustNoErr(t, s.Enqueue(ctx, reply("r1")))
		clk.Advance(time.Second)
		mustNoErr(t, s.Enqueue(ctx, reply("r2"), out("other", "reply", "a")))
		mustNoErr(t, s.Enqueue(ctx, reply("r2"))) // a re-run of the same message
		status := func() map[string]rules.OutboxStatus {
			all, err := s.Outbox(ctx, "")
			mustNoErr(t, err)
			m := map[string]rules.OutboxStatus{}
			for _, o := range all {
				m[o.Key] = o.Status
			}
			return m
		}
		st := status()
		if st["r1"] != rules.OutboxSuperseded || st["r2"] != rules.OutboxPending || st["other"] != rules.OutboxPending {
			t.Fatalf("after r2: %v", st)
		}
		sup, err := s.Outbox(ctx, rules.OutboxSuperseded)
		mustNoErr(t, err)
		if len(sup) != 1 || !strings.Contains(sup[0].LastError, "r2") || sup[0].ReplaceKey != "reply:状态:a" {
			t.Errorf("superseded row %+v", sup)
		}
		// r2 is claimed (being sent) when r3 arrives: it goes out, r3 too.
		got, err := s.ClaimDue(ctx, clk.Now(), 1, time.Hour)
		mustNoErr(t, err)
		if len(got) != 1 || got[0].Key != "r2" {
			t.Fatalf("claim %+v", got)
		}
		clk.Advance(time.Second)
		mustNoErr(t, s.Enqueue(ctx, reply("r3")))
		if st := status(); st["r2"] != rules.OutboxSending || st["r3"] != rules.OutboxPending {
			t.Errorf("after r3: %v", st)
		}
		rc := out("receipt:1", "receipt", "a")
		rc.ReplaceKey = "x"
		if err := s.Enqueue(ctx, rc); err == nil {
			t.Error("a receipt with a replace key was accepted")
		}
	})
}

// TestHoldSupersedeRetext: Hold puts a claimed row back without counting
// the attempt; Supersede ends it unsent; Retext records the text sent and
// the assertions survive the round trip.
func TestHoldSupersedeRetext(t *testing.T) {
	onEveryDriver(t, func(t *testing.T, s *storage.Store, clk *clock.Fake) {
		m := out("rem:a", "reminder", "a")
		m.Asserts = []rules.Obligation{{Year: 2027, UnitKey: "czj", Stage: rules.StageSelfAssessment}, {Year: 2027, UnitKey: "czj", Stage: rules.StageAck, Broadcast: 3}}
		mustNoErr(t, s.Enqueue(ctx, m, out("rem:b", "reminder", "b")))
		got, err := s.ClaimDue(ctx, clk.Now(), 2, time.Hour)
		mustNoErr(t, err)
		if len(got) != 2 || !slices.Equal(got[0].Asserts, m.Asserts) {
			t.Fatalf("claim %+v", got)
		}
		until := clk.Now().Add(10 * time.Hour)
		mustNoErr(t, s.Hold(ctx, got[0].ID, until, "quiet hours"))
		mustNoErr(t, s.Supersede(ctx, got[1].ID, "obligation met"))
		if again, err := s.ClaimDue(ctx, clk.Now(), 5, time.Hour); err != nil || len(again) != 0 {
			t.Fatalf("held row claimed before its time: %+v %v", again, err)
		}
		later, err := s.ClaimDue(ctx, until, 5, time.Hour)
		mustNoErr(t, err)
		if len(later) != 1 || later[0].Key != "rem:a" || later[0].Attempts != 1 {
			t.Fatalf("after the hold: %+v (the hold must not count as an attempt)", later)
		}
		mustNoErr(t, s.Retext(ctx, later[0].ID, "rebuilt", m.Asserts[1:]))
		all, err := s.Outbox(ctx, "")
		mustNoErr(t, err)
		if all[0].Text != "rebuilt" || !slices.Equal(all[0].Asserts, m.Asserts[1:]) {
			t.Errorf("after retext: %+v", all[0])
		}
		if all[1].Status != rules.OutboxSuperseded || all[1].LastError != "obligation met" {
			t.Errorf("superseded: %+v", all[1])
		}
		if due, err := s.HasDue(ctx, until.Add(30*time.Minute)); err != nil || due {
			t.Errorf("HasDue with only sending/superseded rows = %v %v", due, err)
		}
		wantErr(t, s.Supersede(ctx, 9999, ""), storage.ErrNotFound)
		wantErr(t, s.Hold(ctx, 9999, until, ""), storage.ErrNotFound)
	})
}

// TestOutboxMigratesOldSchema: a database from before the lanes opens; its
// queued replies join the reply lane and go before its queued reminders.
func TestOutboxMigratesOldSchema(t *testing.T) {
	for _, drv := range storagetest.Drivers() {
		t.Run(drv, func(t *testing.T) {
			clk := clock.NewFake(t0)
			db := testDB{storagetest.Options(t, drv, clk.Now)}
			s, err := storage.Open(context.Background(), db.opts)
			mustNoErr(t, err)
			idCol := "id integer PRIMARY KEY AUTOINCREMENT"
			if drv == storage.DriverPostgres {
				idCol = "id bigserial PRIMARY KEY"
			}
			sqlDB := storage.SQLDB(s)
			for _, q := range []string{
				"DROP TABLE outbox",
				`CREATE TABLE outbox (` + idCol + `, "key" varchar(255) NOT NULL, kind varchar(32) NOT NULL,
				 to_remark text NOT NULL, to_user text NOT NULL, to_group text NOT NULL, text text, file_path text, file_name text,
				 status varchar(16) NOT NULL, attempts bigint NOT NULL, next_try bigint NOT NULL, lease_until bigint NOT NULL,
				 created_at bigint NOT NULL, sent_at bigint NOT NULL, last_error text)`,
				`CREATE UNIQUE INDEX ux_outbox_key ON outbox ("key")`,
				`CREATE INDEX ix_outbox_due ON outbox (status, next_try)`,
				`INSERT INTO outbox ("key", kind, to_remark, to_user, to_group, text, status, attempts, next_try, lease_until, created_at, sent_at)
				 VALUES ('rem:a', 'reminder', 'a', '', '', 'old reminder', 'pending', 0, 1, 0, 1, 0),
				        ('reply:b', 'reply', 'b', '', '', 'old reply', 'pending', 0, 2, 0, 2, 0)`,
			} {
				if _, err := sqlDB.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			mustNoErr(t, s.Close())
			s = db.open(t)
			mustNoErr(t, s.Enqueue(ctx, out("rem:c", "reminder", "c")))
			if order := claimAll(t, s, clk.Now()); !slices.Equal(order, []string{"reply:b", "rem:a", "rem:c"}) {
				t.Errorf("order after migration %v", order)
			}
			if drv == storage.DriverSQLite {
				plan, err := storage.ExplainClaim(ctx, s)
				mustNoErr(t, err)
				if !strings.Contains(plan, "ix_outbox_claim") || strings.Contains(plan, "TEMP B-TREE") {
					t.Errorf("after migration the claim does not walk ix_outbox_claim:\n%s", plan)
				}
			}
		})
	}
}

// TestClaimQueryPlan pins the pending claim to ix_outbox_claim, in claim
// order (no sort of the whole queue for every message).
func TestClaimQueryPlan(t *testing.T) {
	s := newSQLiteDB(t, clock.NewFake(t0)).open(t)
	plan, err := storage.ExplainClaim(ctx, s)
	mustNoErr(t, err)
	if !strings.Contains(plan, "ix_outbox_claim") || strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("claim plan does not walk ix_outbox_claim in order:\n%s", plan)
	}
}

// TestOutboxKeepsRef: a reminder's number (Ref) is stored with its row and
// comes back from the claim and from a rebuilt (Retext) row, on every
// driver: the relay logs it, the text never carries it.
func TestOutboxKeepsRef(t *testing.T) {
	onEveryDriver(t, func(t *testing.T, s *storage.Store, clk *clock.Fake) {
		rem := out("reminder:2027:a:2027-02-22", "reminder", "a")
		rem.Ref = "TX-20270222-czj-1"
		mustNoErr(t, s.Enqueue(ctx, rem, out("reply:a", "reply", "a")))
		got, err := s.ClaimDue(ctx, clk.Now(), 10, time.Hour)
		mustNoErr(t, err)
		refs := map[string]string{}
		for _, m := range got {
			refs[m.Key] = m.Ref
		}
		if refs[rem.Key] != "TX-20270222-czj-1" || refs["reply:a"] != "" || len(got) != 2 {
			t.Fatalf("claimed refs %v, want the reminder's number and none on the reply", refs)
		}
		for _, m := range got {
			if m.Key == rem.Key {
				mustNoErr(t, s.Retext(ctx, m.ID, "改写后的提醒", nil))
			}
		}
		all, err := s.Outbox(ctx, "")
		mustNoErr(t, err)
		for _, m := range all {
			if m.Key == rem.Key && (m.Ref != "TX-20270222-czj-1" || m.Text != "改写后的提醒") {
				t.Errorf("row after Retext: Ref %q text %q", m.Ref, m.Text)
			}
		}
	})
}
