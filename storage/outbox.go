package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"dudaobot/rules"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Enqueue queues messages in one transaction. A message whose Key is already
// in the outbox (in any state) is skipped: it is already queued or sent, and
// queuing it again is how a retried job stays idempotent.
func (s *Store) Enqueue(ctx context.Context, msgs ...rules.Outgoing) error {
	if len(msgs) == 0 {
		return nil
	}
	return wrap("enqueue", s.tx(ctx, func(tx *gorm.DB) error { return s.enqueueTx(tx, msgs) }))
}

// enqueueSQL inserts one pending outbox row, skipping a duplicate key.
// Plain SQL (no model, no RETURNING): this runs for every reply, and gorm's
// reflection and the returned ID cost more than the insert itself. The turn
// is 1 + the turn of the recipient's last unsent row in the same lane (1 if
// none), so the claim order gives every recipient of a lane one message
// before anyone gets a second, and one recipient's messages keep the order
// they were queued in. It is one seek at the end of the recipient's range
// of ix_outbox_turn (enqueueTurnSQL; TestEnqueueTurnQueryPlan): counting
// the recipient's unsent rows, as the first version did, read every one of
// them for every insert, in the group committer that every message waits
// for, and numbered a new row before the recipient's older ones once some
// of those had been sent.
const enqueueSQL = `INSERT INTO outbox ("key", kind, to_remark, to_user, to_group, text, file_path, file_name,
 status, attempts, next_try, lease_until, created_at, sent_at, last_error, lane, turn, asserts, replace_key, ref)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 0, ?, 0, '', ?,
 (` + enqueueTurnSQL + `),
 ?, ?, ?) ON CONFLICT ("key") DO NOTHING`

// enqueueTurnSQL is the new row's turn (arguments: remark, user, group, lane).
const enqueueTurnSQL = `SELECT COALESCE(MAX(q.turn), 0) + 1 FROM outbox q
 WHERE q.to_remark = ? AND q.to_user = ? AND q.to_group = ? AND q.lane = ? AND q.status IN ('pending', 'sending')`

// replaceSQL supersedes the pending rows a newer message replaces: same
// replace key, another key (a re-run of the same message must not drop
// itself), queued no later than the newer one.
const replaceSQL = `UPDATE outbox SET status = 'superseded', lease_until = 0, last_error = ?
 WHERE replace_key = ? AND replace_key <> '' AND status = 'pending' AND "key" <> ? AND created_at <= ?`

// enqueueTx inserts msgs as pending inside tx, skipping duplicate keys with
// ON CONFLICT DO NOTHING, so a duplicate neither fails nor aborts the
// caller's transaction. Rows are inserted one by one, in order, so that the
// outbox ids follow the order of msgs. A message with a ReplaceKey first
// supersedes the older pending rows with that key, in the same transaction.
func (s *Store) enqueueTx(tx *gorm.DB, msgs []rules.Outgoing) error {
	now := s.now()
	for _, m := range msgs {
		if m.Key == "" {
			return fmt.Errorf("outbox message kind=%s has no key", m.Kind)
		}
		if m.To == (rules.Recipient{}) {
			return fmt.Errorf("outbox message %s has no recipient", m.Key)
		}
		if m.ReplaceKey != "" && m.Kind == "receipt" {
			return fmt.Errorf("outbox message %s: a receipt is never replaced (replace key %q)", m.Key, m.ReplaceKey)
		}
		asserts, err := encodeAsserts(m.Asserts)
		if err != nil {
			return fmt.Errorf("outbox message %s: %w", m.Key, err)
		}
		row := outboxRow{
			Key: m.Key, Kind: m.Kind, ToRemark: m.To.Remark, ToUser: m.To.UserName, ToGroup: m.To.Group,
			Text: m.Text, FilePath: m.FilePath, FileName: m.FileName,
			Status: string(rules.OutboxPending), NextTry: ns(m.NextTry), CreatedAt: ns(m.CreatedAt),
			Lane: int(rules.LaneOf(m.Kind)), Asserts: asserts, ReplaceKey: m.ReplaceKey, Ref: m.Ref,
		}
		if row.NextTry == 0 {
			row.NextTry = ns(now)
		}
		if row.CreatedAt == 0 {
			row.CreatedAt = ns(now)
		}
		if row.ReplaceKey != "" {
			if err := tx.Exec(replaceSQL, "replaced by "+row.Key, row.ReplaceKey, row.Key, row.CreatedAt).Error; err != nil {
				return err
			}
		}
		if _, err := execHot(tx, s.hotStmts.enqueue, enqueueSQL, row.Key, row.Kind, row.ToRemark, row.ToUser, row.ToGroup,
			row.Text, row.FilePath, row.FileName, row.Status, row.NextTry, row.CreatedAt, row.Lane,
			row.ToRemark, row.ToUser, row.ToGroup, row.Lane, row.Asserts, row.ReplaceKey, row.Ref); err != nil {
			return err
		}
	}
	return nil
}

func encodeAsserts(a []rules.Obligation) (string, error) {
	if len(a) == 0 {
		return "", nil
	}
	b, err := json.Marshal(a)
	if err != nil {
		return "", fmt.Errorf("encode asserts: %w", err)
	}
	return string(b), nil
}

// ClaimDue atomically moves up to limit due messages to sending under a
// lease until now+lease, and returns them. Due means pending with NextTry <=
// now, or sending with an expired lease (the sender crashed or hung: the
// message is rescued and sent again; it says what it is, so a rare duplicate
// is harmless). Attempts counts claims, including this one, so a message
// that crashes the sender every time still reaches the relay's limit.
//
// Order: the reply lane before the bulk lane; within a lane by turn (every
// recipient's first queued message before anyone's second), then NextTry
// and id. The pending rows are read in that order from ix_outbox_claim, the
// rescued ones from ix_outbox_lease, and the two short lists are merged.
//
// No two claimers get the same row: on SQLite the transaction holds the
// write lock from its BEGIN IMMEDIATE; on PostgreSQL the rows are selected
// FOR UPDATE SKIP LOCKED.
// claimWhere and claimOrder pick the next pending rows; the query-plan
// test explains exactly these, so the index it checks is the one used.
const (
	claimWhere = "status = ? AND next_try <= ?"
	claimOrder = "lane, turn, next_try, id"
)

func (s *Store) ClaimDue(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]rules.Outgoing, error) {
	if limit <= 0 {
		return nil, nil
	}
	var rows []outboxRow
	err := s.tx(ctx, func(tx *gorm.DB) error {
		n := ns(now)
		lock := clause.Locking{Strength: clause.LockingStrengthUpdate, Options: clause.LockingOptionsSkipLocked}
		var pending, rescued []outboxRow
		if err := tx.Clauses(lock).Where(claimWhere, string(rules.OutboxPending), n).
			Order(claimOrder).Limit(limit).Find(&pending).Error; err != nil {
			return err
		}
		if err := tx.Clauses(lock).Where("status = ? AND lease_until <= ?", string(rules.OutboxSending), n).
			Order("lease_until, id").Limit(limit).Find(&rescued).Error; err != nil {
			return err
		}
		rows = append(pending, rescued...)
		if len(rows) == 0 {
			return nil
		}
		sort.SliceStable(rows, func(i, j int) bool { return claimBefore(rows[i], rows[j]) })
		rows = rows[:min(limit, len(rows))]
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		until := ns(now.Add(lease))
		if err := tx.Model(&outboxRow{}).Where("id IN ?", ids).Updates(map[string]any{
			"status":      string(rules.OutboxSending),
			"lease_until": until,
			"attempts":    gorm.Expr("attempts + 1"),
		}).Error; err != nil {
			return err
		}
		for i := range rows {
			rows[i].Status, rows[i].LeaseUntil = string(rules.OutboxSending), until
			rows[i].Attempts++
		}
		return nil
	})
	if err != nil {
		return nil, wrap("claim due", err)
	}
	out := make([]rules.Outgoing, len(rows))
	for i, r := range rows {
		out[i] = s.outgoingFromRow(r)
	}
	return out, nil
}

// claimBefore is the claim order: lane, turn, next try, id.
func claimBefore(a, b outboxRow) bool {
	switch {
	case a.Lane != b.Lane:
		return a.Lane < b.Lane
	case a.Turn != b.Turn:
		return a.Turn < b.Turn
	case a.NextTry != b.NextTry:
		return a.NextTry < b.NextTry
	}
	return a.ID < b.ID
}

// HasDue reports whether ClaimDue(now) would find a row: pending with
// NextTry <= now, or sending with an expired lease. It is a read; the relay
// asks it before pacing, so that it never pauses for nothing.
func (s *Store) HasDue(ctx context.Context, now time.Time) (bool, error) {
	n := ns(now)
	var ids []int64
	err := s.db.WithContext(ctx).Model(&outboxRow{}).
		Where("(status = ? AND next_try <= ?) OR (status = ? AND lease_until <= ?)",
			string(rules.OutboxPending), n, string(rules.OutboxSending), n).
		Limit(1).Pluck("id", &ids).Error
	if err != nil {
		return false, wrap("has due", err)
	}
	return len(ids) > 0, nil
}

// MarkSent records a successful send.
func (s *Store) MarkSent(ctx context.Context, id int64, at time.Time) error {
	return s.setOutbox(ctx, "mark sent", id, map[string]any{
		"status": string(rules.OutboxSent), "sent_at": ns(at), "lease_until": int64(0),
	})
}

// MarkRetry puts a message back to pending, to be tried again at nextTry.
func (s *Store) MarkRetry(ctx context.Context, id int64, nextTry time.Time, errText string) error {
	return s.setOutbox(ctx, "mark retry", id, map[string]any{
		"status": string(rules.OutboxPending), "next_try": ns(nextTry), "lease_until": int64(0), "last_error": errText,
	})
}

// Hold puts a claimed message back to pending until `until` without
// counting the claim as an attempt (quiet hours: nothing was tried).
func (s *Store) Hold(ctx context.Context, id int64, until time.Time, reason string) error {
	return s.setOutbox(ctx, "hold", id, map[string]any{
		"status": string(rules.OutboxPending), "next_try": ns(until), "lease_until": int64(0), "last_error": reason,
		"attempts": gorm.Expr("CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END"),
	})
}

// HoldRecipient is the daily cap's hold: the claimed row id and every other
// pending row that counts against the same recipient's cap (not an alert;
// the recipient matched as SentSince matches it) and is due before until
// go back to pending until then, in ONE statement. The claim is not counted
// as an attempt (nothing was tried). It returns the rows held. Holding the
// recipient's rows one claim at a time cost two commits a row on every
// pass, unpaced, on the one SQLite writer.
func (s *Store) HoldRecipient(ctx context.Context, id int64, to rules.Recipient, until time.Time, reason string) (int, error) {
	var match string
	var who any
	switch {
	case to.Remark != "":
		match, who = "to_remark = ?", to.Remark
	case to.UserName != "":
		match, who = "to_user = ?", to.UserName
	case to.Group != "":
		match, who = "to_group = ?", to.Group
	default:
		return 0, errors.New("storage: hold recipient: empty recipient")
	}
	u := ns(until)
	res := s.write(ctx, func(db *gorm.DB) *gorm.DB {
		return db.Model(&outboxRow{}).
			Where("(id = ? AND status = ?) OR (status = ? AND kind <> 'alert' AND next_try < ? AND "+match+")",
				id, string(rules.OutboxSending), string(rules.OutboxPending), u, who).
			Updates(map[string]any{
				"status": string(rules.OutboxPending), "next_try": u, "lease_until": int64(0), "last_error": reason,
				"attempts": gorm.Expr("CASE WHEN id = ? AND attempts > 0 THEN attempts - 1 ELSE attempts END", id),
			})
	})
	err := res.Error
	if err == nil && res.RowsAffected == 0 {
		err = ErrNotFound
	}
	if err != nil {
		return 0, wrap(fmt.Sprintf("hold recipient id=%d", id), err)
	}
	return int(res.RowsAffected), nil
}

// Supersede marks a message never to be sent: what it asserted no longer
// holds. The row stays, with the reason, for the record.
func (s *Store) Supersede(ctx context.Context, id int64, reason string) error {
	return s.setOutbox(ctx, "supersede", id, map[string]any{
		"status": string(rules.OutboxSuperseded), "lease_until": int64(0), "last_error": reason,
	})
}

// Retext replaces a claimed message's text and assertions with what will
// actually be sent (rebuilt at send time), so the row records the truth.
func (s *Store) Retext(ctx context.Context, id int64, text string, asserts []rules.Obligation) error {
	a, err := encodeAsserts(asserts)
	if err != nil {
		return wrap(fmt.Sprintf("retext id=%d", id), err)
	}
	return s.setOutbox(ctx, "retext", id, map[string]any{"text": text, "asserts": a})
}

// MarkDead gives up on a message; it stays in the outbox for the director.
func (s *Store) MarkDead(ctx context.Context, id int64, errText string) error {
	return s.setOutbox(ctx, "mark dead", id, map[string]any{
		"status": string(rules.OutboxDead), "lease_until": int64(0), "last_error": errText,
	})
}

func (s *Store) setOutbox(ctx context.Context, op string, id int64, set map[string]any) error {
	res := s.write(ctx, func(db *gorm.DB) *gorm.DB { return db.Model(&outboxRow{}).Where("id = ?", id).Updates(set) })
	err := res.Error
	if err == nil && res.RowsAffected == 0 {
		err = ErrNotFound
	}
	return wrap(fmt.Sprintf("%s id=%d", op, id), err)
}

// SentSince counts the messages sent to one recipient since the given time
// (the per-person daily cap). Alerts are exempt from the cap and do not use
// it up either: they go in the first lane, often before the day's other
// messages. A recipient is matched on the field that
// identifies it: the remark, else the session user name, else the group.
func (s *Store) SentSince(ctx context.Context, to rules.Recipient, since time.Time) (int, error) {
	q := s.db.WithContext(ctx).Model(&outboxRow{}).Where("status = ? AND sent_at >= ? AND kind <> 'alert'", string(rules.OutboxSent), ns(since))
	switch {
	case to.Remark != "":
		q = q.Where("to_remark = ?", to.Remark)
	case to.UserName != "":
		q = q.Where("to_user = ?", to.UserName)
	case to.Group != "":
		q = q.Where("to_group = ?", to.Group)
	default:
		return 0, errors.New("storage: sent since: empty recipient")
	}
	var n int64
	if err := q.Count(&n).Error; err != nil {
		return 0, wrap("sent since", err)
	}
	return int(n), nil
}

// Outbox lists the messages in a status ("" = all), oldest first.
func (s *Store) Outbox(ctx context.Context, status rules.OutboxStatus) ([]rules.Outgoing, error) {
	q := s.db.WithContext(ctx).Order("id")
	if status != "" {
		q = q.Where("status = ?", string(status))
	}
	var rows []outboxRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, wrap(fmt.Sprintf("outbox status=%s", status), err)
	}
	out := make([]rules.Outgoing, len(rows))
	for i, r := range rows {
		out[i] = s.outgoingFromRow(r)
	}
	return out, nil
}

func (s *Store) outgoingFromRow(r outboxRow) rules.Outgoing {
	return rules.Outgoing{
		ID: r.ID, Key: r.Key, Kind: r.Kind,
		To:   rules.Recipient{Remark: r.ToRemark, UserName: r.ToUser, Group: r.ToGroup},
		Text: r.Text, FilePath: r.FilePath, FileName: r.FileName, Status: rules.OutboxStatus(r.Status),
		Attempts: r.Attempts, NextTry: s.tm(r.NextTry), CreatedAt: s.tm(r.CreatedAt), SentAt: s.tm(r.SentAt),
		LastError: r.LastError, ReplaceKey: r.ReplaceKey, Ref: r.Ref, Asserts: s.decodeAsserts(r),
	}
}

// decodeAsserts reads a row's assertions. A row that cannot be read
// asserts nothing the relay could check; it is logged and sent as queued.
func (s *Store) decodeAsserts(r outboxRow) []rules.Obligation {
	if r.Asserts == "" {
		return nil
	}
	var a []rules.Obligation
	if err := json.Unmarshal([]byte(r.Asserts), &a); err != nil {
		s.log.Error("outbox row asserts unreadable", slog.Int64("id", r.ID), slog.String("err", err.Error()))
		return nil
	}
	return a
}
