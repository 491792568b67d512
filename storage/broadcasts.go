package storage

import (
	"context"
	"fmt"
	"time"

	"dudaobot/rules"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Broadcast kinds.
const (
	kindBroadcast = "broadcast"
	kindFeedback  = "feedback"
)

// RecordFeedback records the office delivering written feedback to a unit.
// In one transaction it stores the delivery, a Broadcast of kind "feedback"
// addressed to the unit (so the unit's 收到 acknowledges it), the outbox rows
// and the audit row. DeliveredAt defaults to the clock. ErrNotFound if the
// unit is not on the roster.
func (s *Store) RecordFeedback(ctx context.Context, f rules.FeedbackDelivery, outs []rules.Outgoing) (rules.FeedbackDelivery, error) {
	if f.DeliveredAt.IsZero() {
		f.DeliveredAt = s.now()
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := lockUnit(tx, f.UnitKey); err != nil {
			return err
		}
		b := broadcastRow{
			Year: f.Year, Kind: kindFeedback, UnitKey: f.UnitKey, OriginalName: f.OriginalName,
			StoredPath: f.StoredPath, SentAt: ns(f.DeliveredAt), SentBy: f.Director,
		}
		if err := tx.Create(&b).Error; err != nil {
			return err
		}
		row := feedbackRow{
			Year: f.Year, UnitKey: f.UnitKey, DeliveredAt: ns(f.DeliveredAt), Director: f.Director,
			OriginalName: f.OriginalName, StoredPath: f.StoredPath, SHA256: f.SHA256, Size: f.Size, BroadcastID: b.ID,
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		f.ID = row.ID
		// The unit's problem list goes with its feedback: delivered now.
		if err := markProblemsDelivered(tx, f.Year, f.UnitKey, f.DeliveredAt); err != nil {
			return err
		}
		if err := s.enqueueTx(tx, outs); err != nil {
			return err
		}
		return s.audit(tx, f.Director, "feedback", f.Year, f.UnitKey,
			fmt.Sprintf("id=%d broadcast=%d sha256=%s name=%q", f.ID, b.ID, f.SHA256, f.OriginalName))
	})
	if err != nil {
		return rules.FeedbackDelivery{}, wrap(fmt.Sprintf("record feedback unit=%s", f.UnitKey), err)
	}
	return f, nil
}

// CreateBroadcast stores a notice (下发) with its outbox rows and audit row in
// one transaction. Kind defaults to "broadcast", SentAt to the clock.
func (s *Store) CreateBroadcast(ctx context.Context, b rules.Broadcast, outs []rules.Outgoing) (rules.Broadcast, error) {
	if b.Kind == "" {
		b.Kind = kindBroadcast
	}
	if b.SentAt.IsZero() {
		b.SentAt = s.now()
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		row := broadcastRow{
			Year: b.Year, Kind: b.Kind, UnitKey: b.UnitKey, Text: b.Text, OriginalName: b.OriginalName,
			StoredPath: b.StoredPath, SentAt: ns(b.SentAt), SentBy: b.By,
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		b.ID = row.ID
		if err := s.enqueueTx(tx, outs); err != nil {
			return err
		}
		return s.audit(tx, b.By, "broadcast", b.Year, b.UnitKey, fmt.Sprintf("id=%d kind=%s name=%q", b.ID, b.Kind, b.OriginalName))
	})
	if err != nil {
		return rules.Broadcast{}, wrap("create broadcast", err)
	}
	return b, nil
}

// Acknowledge records a unit's 收到 for the latest broadcast or feedback of
// the year addressed to it (a notice to all units, or its own feedback), and
// returns that broadcast. A repeated 收到 keeps the first time. ErrNotFound
// if nothing was addressed to the unit.
func (s *Store) Acknowledge(ctx context.Context, year int, unitKey, remark string, at time.Time) (rules.Broadcast, error) {
	if at.IsZero() {
		at = s.now()
	}
	var b broadcastRow
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("year = ? AND (unit_key = '' OR unit_key = ?)", year, unitKey).
			Order("sent_at DESC, id DESC").Take(&b).Error; err != nil {
			return err
		}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).
			Create(&ackRow{BroadcastID: b.ID, UnitKey: unitKey, Remark: remark, At: ns(at)})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return nil // already acknowledged: nothing changed, nothing to audit
		}
		return s.audit(tx, remark, "ack", year, unitKey, fmt.Sprintf("broadcast=%d kind=%s", b.ID, b.Kind))
	})
	if err != nil {
		return rules.Broadcast{}, wrap(fmt.Sprintf("acknowledge %d unit=%s", year, unitKey), err)
	}
	return s.broadcastFromRow(b), nil
}

// AcknowledgeOpen records a unit's 收到 for every notice and feedback of
// the year addressed to it that the unit has not acknowledged yet, in one
// transaction with one audit row each, and returns them oldest first. An
// empty result means nothing was open (everything already acknowledged, or
// nothing addressed to the unit).
func (s *Store) AcknowledgeOpen(ctx context.Context, year int, unitKey, remark string, at time.Time) ([]rules.Broadcast, error) {
	if at.IsZero() {
		at = s.now()
	}
	var open []broadcastRow
	err := s.tx(ctx, func(tx *gorm.DB) error {
		open = nil // a retried transaction starts again
		if err := tx.Where("year = ? AND (unit_key = '' OR unit_key = ?)", year, unitKey).
			Where("NOT EXISTS (SELECT 1 FROM acks a WHERE a.broadcast_id = broadcasts.id AND a.unit_key = ?)", unitKey).
			Order("sent_at, id").Find(&open).Error; err != nil {
			return err
		}
		for _, b := range open {
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).
				Create(&ackRow{BroadcastID: b.ID, UnitKey: unitKey, Remark: remark, At: ns(at)}).Error; err != nil {
				return err
			}
			if err := s.audit(tx, remark, "ack", year, unitKey, fmt.Sprintf("broadcast=%d kind=%s", b.ID, b.Kind)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap(fmt.Sprintf("acknowledge open %d unit=%s", year, unitKey), err)
	}
	out := make([]rules.Broadcast, len(open))
	for i, b := range open {
		out[i] = s.broadcastFromRow(b)
	}
	return out, nil
}

// Unacknowledged lists, in roster order, the keys of the units a broadcast
// was addressed to that have not acknowledged it. ErrNotFound for an
// unknown broadcast.
func (s *Store) Unacknowledged(ctx context.Context, broadcastID int64) ([]string, error) {
	op := fmt.Sprintf("unacknowledged broadcast=%d", broadcastID)
	db := s.db.WithContext(ctx)
	var b broadcastRow
	if err := db.Take(&b, "id = ?", broadcastID).Error; err != nil {
		return nil, wrap(op, err)
	}
	q := db.Model(&unitRow{}).
		Where("NOT EXISTS (SELECT 1 FROM acks a WHERE a.broadcast_id = ? AND a.unit_key = units.unit_key)", broadcastID)
	if b.UnitKey != "" {
		q = q.Where("unit_key = ?", b.UnitKey)
	}
	keys := []string{}
	if err := q.Order("sort_order, unit_key").Pluck("unit_key", &keys).Error; err != nil {
		return nil, wrap(op, err)
	}
	return keys, nil
}

// LatestBroadcast returns the year's latest notice to all units (kind
// "broadcast"; per-unit feedback deliveries are not notices). ErrNotFound if
// none was sent.
func (s *Store) LatestBroadcast(ctx context.Context, year int) (rules.Broadcast, error) {
	var b broadcastRow
	if err := s.db.WithContext(ctx).Where("year = ? AND kind = ?", year, kindBroadcast).
		Order("sent_at DESC, id DESC").Take(&b).Error; err != nil {
		return rules.Broadcast{}, wrap(fmt.Sprintf("latest broadcast %d", year), err)
	}
	return s.broadcastFromRow(b), nil
}

// Broadcasts lists the year's broadcasts and feedback deliveries, oldest
// first.
func (s *Store) Broadcasts(ctx context.Context, year int) ([]rules.Broadcast, error) {
	out, err := yearRows(ctx, s.db, year, "sent_at, id", s.broadcastFromRow)
	if err != nil {
		return nil, wrap(fmt.Sprintf("broadcasts %d", year), err)
	}
	return out, nil
}

// Acks returns the year's acknowledgements: broadcast ID → unit key → time.
func (s *Store) Acks(ctx context.Context, year int) (map[int64]map[string]time.Time, error) {
	var rows []ackRow
	err := s.db.WithContext(ctx).
		Where("broadcast_id IN (SELECT id FROM broadcasts WHERE year = ?)", year).
		Order("id").Find(&rows).Error
	if err != nil {
		return nil, wrap(fmt.Sprintf("acks %d", year), err)
	}
	out := map[int64]map[string]time.Time{}
	for _, r := range rows {
		m := out[r.BroadcastID]
		if m == nil {
			m = map[string]time.Time{}
			out[r.BroadcastID] = m
		}
		m[r.UnitKey] = s.tm(r.At)
	}
	return out, nil
}

func (s *Store) broadcastFromRow(r broadcastRow) rules.Broadcast {
	return rules.Broadcast{
		ID: r.ID, Year: r.Year, Kind: r.Kind, UnitKey: r.UnitKey, Text: r.Text,
		OriginalName: r.OriginalName, StoredPath: r.StoredPath, SentAt: s.tm(r.SentAt), By: r.SentBy,
	}
}
