package storage

import (
	"context"
	"fmt"
	"time"

	"dudaobot/rules"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// RecordInbound stores an inbound message from a known sender and reports
// whether it is new. The key (sender, MsgID, CreateTime) is unique, so a
// message WeChat delivers again after a restart is recognised (isNew false)
// with no error. Inbound bookkeeping is not audited: it changes no state of
// the cycle.
func (s *Store) RecordInbound(ctx context.Context, k rules.InboundKey, kind rules.MsgKind, text string, at time.Time) (bool, error) {
	if at.IsZero() {
		at = s.now()
	}
	res := s.write(ctx, func(db *gorm.DB) *gorm.DB {
		return db.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "sender"}, {Name: "msg_id"}, {Name: "create_time"}},
			DoNothing: true,
		}).Create(&inboundRow{Sender: k.Sender, MsgID: k.MsgID, CreateTime: k.CreateTime, Kind: string(kind), Text: text, ReceivedAt: ns(at)})
	})
	if res.Error != nil {
		return false, wrap(fmt.Sprintf("record inbound sender=%s msg=%s", k.Sender, k.MsgID), res.Error)
	}
	return res.RowsAffected == 1, nil
}

// RecordInboundBatch is RecordInbound for many messages in ONE transaction
// (one commit, one fsync on SQLite): either every row is stored or none is.
// isNew[i] reports whether recs[i] is new; a key repeated within recs is new
// only at its first occurrence. Handled is ignored (rows start unhandled).
func (s *Store) RecordInboundBatch(ctx context.Context, recs []rules.InboundRecord) ([]bool, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	isNew := make([]bool, len(recs))
	now := s.now()
	// Committed with the workers' FinishInbound calls waiting at the same
	// moment (group commit): the batch is still all or nothing.
	err := s.groupTx(ctx, func(tx *gorm.DB) error {
		// Row by row: the tx's cost is its commit, and RowsAffected per row
		// is what tells a new message from a duplicate on both drivers.
		for i, r := range recs {
			at := r.ReceivedAt
			if at.IsZero() {
				at = now
			}
			n, err := execHot(tx, s.hotStmts.recordInbound, recordInboundSQL,
				r.Key.Sender, r.Key.MsgID, r.Key.CreateTime, string(r.Kind), r.Text, ns(at))
			if err != nil {
				return fmt.Errorf("sender=%s msg=%s: %w", r.Key.Sender, r.Key.MsgID, err)
			}
			isNew[i] = n == 1
		}
		return nil
	})
	if err != nil {
		return nil, wrap(fmt.Sprintf("record inbound batch of %d", len(recs)), err)
	}
	return isNew, nil
}

// Plain SQL for the per-message statements (see enqueueSQL).
const (
	recordInboundSQL = `INSERT INTO inbound (sender, msg_id, create_time, kind, text, received_at, handled)
 VALUES (?, ?, ?, ?, ?, ?, FALSE) ON CONFLICT (sender, msg_id, create_time) DO NOTHING`
	markHandledSQL = `UPDATE inbound SET handled = ? WHERE sender = ? AND msg_id = ? AND create_time = ?`
)

// FinishInbound queues outs (the replies to the message, skipping keys
// already queued, as Enqueue does) and marks the message handled, in ONE
// transaction: a crash leaves either both or neither. If the message was
// never recorded the replies are still queued and ErrNotFound is returned.
//
// Calls from concurrent workers are committed together (group commit, see
// groupcommit.go): the call returns once its transaction is durable, and a
// failing call fails only itself.
func (s *Store) FinishInbound(ctx context.Context, k rules.InboundKey, outs []rules.Outgoing) error {
	missing := false
	err := s.groupTx(ctx, func(tx *gorm.DB) error {
		if err := s.enqueueTx(tx, outs); err != nil {
			return err
		}
		n, err := execHot(tx, s.hotStmts.markHandled, markHandledSQL, true, k.Sender, k.MsgID, k.CreateTime)
		if err != nil {
			return err
		}
		missing = n == 0
		return nil
	})
	if err == nil && missing {
		err = ErrNotFound
	}
	return wrap(fmt.Sprintf("finish inbound sender=%s msg=%s", k.Sender, k.MsgID), err)
}

// MarkInboundHandled records that the message was fully handled.
// ErrNotFound if it was never recorded.
func (s *Store) MarkInboundHandled(ctx context.Context, k rules.InboundKey) error {
	res := s.write(ctx, func(db *gorm.DB) *gorm.DB {
		return db.Model(&inboundRow{}).
			Where("sender = ? AND msg_id = ? AND create_time = ?", k.Sender, k.MsgID, k.CreateTime).
			Update("handled", true)
	})
	err := res.Error
	if err == nil && res.RowsAffected == 0 {
		err = ErrNotFound
	}
	return wrap(fmt.Sprintf("mark inbound handled sender=%s msg=%s", k.Sender, k.MsgID), err)
}

// UnhandledInbound lists messages recorded but never marked handled (the
// bot crashed while handling them), oldest first.
func (s *Store) UnhandledInbound(ctx context.Context) ([]rules.InboundRecord, error) {
	var rows []inboundRow
	if err := s.db.WithContext(ctx).Where("handled = ?", false).Order("received_at, id").Find(&rows).Error; err != nil {
		return nil, wrap("unhandled inbound", err)
	}
	out := make([]rules.InboundRecord, len(rows))
	for i, r := range rows {
		out[i] = rules.InboundRecord{
			Key:  rules.InboundKey{Sender: r.Sender, MsgID: r.MsgID, CreateTime: r.CreateTime},
			Kind: rules.MsgKind(r.Kind), Text: r.Text, ReceivedAt: s.tm(r.ReceivedAt), Handled: r.Handled,
		}
	}
	return out, nil
}
