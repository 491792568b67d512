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
	q := s.db.WithContext(ctx).Where("year = ?", year)
	if unitKey != "" {
		q = q.Where("unit_key = ?", unitKey)
	}
	var rows []auditRow
	if err := q.Order("at, id").Find(&rows).Error; err != nil {
		return nil, wrap(fmt.Sprintf("audit trail %d unit=%s", year, unitKey), err)
	}
	out := make([]rules.AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = rules.AuditEntry{ID: r.ID, At: s.tm(r.At), Actor: r.Actor, Action: r.Action, Year: r.Year, UnitKey: r.UnitKey, Detail: r.Detail}
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

// SetBindingCode stores the hash of a one-time binding code for a remark.
// Unused earlier codes of the same remark are withdrawn, so only the newest
// code handed out works. ErrConflict if the hash was ever issued before.
func (s *Store) SetBindingCode(ctx context.Context, remark, codeHash string) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("remark = ? AND used_at = 0", remark).Delete(&bindingCodeRow{}).Error; err != nil {
			return err
		}
		if err := tx.Create(&bindingCodeRow{Hash: codeHash, Remark: remark, CreatedAt: ns(s.now())}).Error; err != nil {
			return err
		}
		return s.audit(tx, "system", "bind_code", 0, "", "code issued for "+remark)
	})
	return wrap("set binding code remark="+remark, err)
}

// ConsumeBindingCode uses a binding code once and returns its remark.
// ErrNotFound if the code is unknown or already used.
func (s *Store) ConsumeBindingCode(ctx context.Context, codeHash string) (string, error) {
	var row bindingCodeRow
	err := s.tx(ctx, func(tx *gorm.DB) error {
		// The conditional update is the claim: of two concurrent uses of the
		// same code exactly one sees a row affected.
		res := tx.Model(&bindingCodeRow{}).Where("hash = ? AND used_at = 0", codeHash).Update("used_at", ns(s.now()))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if err := tx.Take(&row, "hash = ?", codeHash).Error; err != nil {
			return err
		}
		return s.audit(tx, row.Remark, "bind", 0, "", "binding code used")
	})
	if err != nil {
		return "", wrap("consume binding code", err)
	}
	return row.Remark, nil
}
