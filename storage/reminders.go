package storage

import (
	"context"
	"fmt"

	"dudaobot/rules"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// RecordReminder records a planned reminder slot and, only if the slot is
// new, queues its outbox rows and audit row in the same transaction. The key
// (year, unit, stage, slot) is unique: a second sweep, a restart or a
// concurrent sweep gets inserted=false, writes nothing and gets no error.
// That is what makes each reminder go out exactly once.
func (s *Store) RecordReminder(ctx context.Context, r rules.ReminderRecord, outs []rules.Outgoing) (bool, error) {
	if r.At.IsZero() {
		r.At = s.now()
	}
	inserted := false
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "year"}, {Name: "unit_key"}, {Name: "stage"}, {Name: "slot"}},
			DoNothing: true,
		}).Create(&reminderRow{Year: r.Year, UnitKey: r.UnitKey, Stage: string(r.Stage), Slot: r.Slot, Kind: r.Kind, Missed: r.Missed, At: ns(r.At)})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		inserted = true
		if err := s.enqueueTx(tx, outs); err != nil {
			return err
		}
		return s.audit(tx, "scheduler", "remind", r.Year, r.UnitKey,
			fmt.Sprintf("stage=%s slot=%s kind=%s missed=%t messages=%d", r.Stage, r.Slot, r.Kind, r.Missed, len(outs)))
	})
	if err != nil {
		return false, wrap(fmt.Sprintf("record reminder unit=%s slot=%s", r.UnitKey, r.Slot), err)
	}
	return inserted, nil
}

// Reminders lists the year's recorded reminder slots in time order.
func (s *Store) Reminders(ctx context.Context, year int) ([]rules.ReminderRecord, error) {
	out, err := yearRows(ctx, s.db, year, "at, id", func(r reminderRow) rules.ReminderRecord {
		return rules.ReminderRecord{Year: r.Year, UnitKey: r.UnitKey, Stage: rules.Stage(r.Stage), Slot: r.Slot,
			Kind: r.Kind, Missed: r.Missed, At: s.tm(r.At)}
	})
	if err != nil {
		return nil, wrap(fmt.Sprintf("reminders %d", year), err)
	}
	return out, nil
}

// yearRows reads the year's rows of one table in the given order and
// converts each to its domain value.
func yearRows[R, T any](ctx context.Context, db *gorm.DB, year int, order string, conv func(R) T) ([]T, error) {
	return unitYearRows(ctx, db, year, "", order, conv)
}

// unitYearRows is yearRows for one unit's rows (unitKey "": every unit's).
func unitYearRows[R, T any](ctx context.Context, db *gorm.DB, year int, unitKey, order string, conv func(R) T) ([]T, error) {
	q := db.WithContext(ctx).Where("year = ?", year)
	if unitKey != "" {
		q = q.Where("unit_key = ?", unitKey)
	}
	var rows []R
	if err := q.Order(order).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = conv(r)
	}
	return out, nil
}
