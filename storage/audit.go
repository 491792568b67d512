package storage

import (
	"context"
	"errors"
	"fmt"

	"dudaobot/rules"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Audit appends an entry to the audit trail (for events with no state change
// of their own, e.g. a refused request). At defaults to the clock.
func (s *Store) Audit(ctx context.Context, e rules.AuditEntry) error {
	if e.At.IsZero() {
		e.At = s.now()
	}
	if e.Actor == "" {
		e.Actor = "system"
	}
	err := s.write(ctx, func(db *gorm.DB) *gorm.DB {
		return db.Create(&auditRow{At: ns(e.At), Actor: e.Actor, Action: e.Action, Year: e.Year, UnitKey: e.UnitKey, Detail: e.Detail})
	}).Error
	return wrap("audit", err)
}

// AuditTrail returns the year's audit entries, for one unit or (unitKey "")
// all, in time order.
func (s *Store) AuditTrail(ctx context.Context, year int, unitKey string) ([]rules.AuditEntry, error) {
	out, err := unitYearRows(ctx, s.db, year, unitKey, "at, id", func(r auditRow) rules.AuditEntry {
		return rules.AuditEntry{ID: r.ID, At: s.tm(r.At), Actor: r.Actor, Action: r.Action, Year: r.Year, UnitKey: r.UnitKey, Detail: r.Detail}
	})
	if err != nil {
		return nil, wrap(fmt.Sprintf("audit trail %d unit=%s", year, unitKey), err)
	}
	return out, nil
}

// GetState returns the value stored under key; ok is false if there is none.
func (s *Store) GetState(ctx context.Context, key string) (string, bool, error) {
	var r stateRow
	err := s.db.WithContext(ctx).Take(&r, clause.Eq{Column: clause.Column{Name: "key"}, Value: key}).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return "", false, nil
	case err != nil:
		return "", false, wrap("get state "+key, err)
	}
	return r.Value, true, nil
}

// PutState stores value under key, replacing any previous value.
func (s *Store) PutState(ctx context.Context, key, value string) error {
	err := s.write(ctx, func(db *gorm.DB) *gorm.DB {
		return db.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "key"}},
			DoUpdates: clause.AssignmentColumns([]string{"value"}),
		}).Create(&stateRow{Key: key, Value: value})
	}).Error
	return wrap("put state "+key, err)
}

// DeleteState removes key; a missing key is not an error.
func (s *Store) DeleteState(ctx context.Context, key string) error {
	err := s.write(ctx, func(db *gorm.DB) *gorm.DB {
		return db.Where(clause.Eq{Column: clause.Column{Name: "key"}, Value: key}).Delete(&stateRow{})
	}).Error
	return wrap("delete state "+key, err)
}
