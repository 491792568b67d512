package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"dudaobot/rules"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// bindingRow is one code binding: which contact (by its session UserName)
// acts as which configured person, since when, by which code, and how it
// ended. Rows are never deleted: they are the record of who was let in.
type bindingRow struct {
	ID        int64  `gorm:"primaryKey"`
	Remark    string `gorm:"not null;index:ix_bindings_remark"`
	UserName  string `gorm:"not null"`
	NickName  string
	CodeID    int64  `gorm:"not null"`
	BoundAt   int64  `gorm:"not null"`
	EndedAt   int64  `gorm:"not null;index:ix_bindings_ended"`
	EndReason string `gorm:"size:32"`
	EndedBy   string
}

func (bindingRow) TableName() string { return "bindings" }

// bindFailRow counts wrong binding codes per key (a contact and a day), so
// that a restart does not hand a guesser a fresh set of tries.
type bindFailRow struct {
	Key       string `gorm:"column:key;primaryKey;size:255"`
	Fails     int    `gorm:"not null"`
	UpdatedAt int64  `gorm:"not null;autoUpdateTime:false"`
}

func (bindFailRow) TableName() string { return "binding_failures" }

// SetBindingCode stores the keyed hash of a one-time binding code for a
// remark and returns the code's id (shown as 「码#id」, never the code).
// Unused earlier codes of the same remark are withdrawn, so only the newest
// code handed out works. ErrConflict if the hash was ever issued before.
func (s *Store) SetBindingCode(ctx context.Context, remark, codeHash string) (int64, error) {
	row := bindingCodeRow{Hash: codeHash, Remark: remark, CreatedAt: ns(s.now())}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("remark = ? AND used_at = 0", remark).Delete(&bindingCodeRow{}).Error; err != nil {
			return err
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.audit(tx, "system", "bind_code", 0, "", fmt.Sprintf("code #%d issued for %s", row.ID, remark))
	})
	return row.ID, wrap("set binding code remark="+remark, err)
}

// ClaimBindingCode uses a binding code once and records the binding b
// (UserName, NickName, BoundAt; Remark and CodeID are the code's). A code
// issued more than ttl before b.BoundAt is refused (ttl 0: no expiry).
// ErrNotFound for an unknown or withdrawn code, rules.ErrCodeUsed for a
// used one, rules.ErrCodeExpired for an old one.
func (s *Store) ClaimBindingCode(ctx context.Context, codeHash string, b rules.Binding, ttl time.Duration) (rules.Binding, error) {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var code bindingCodeRow
		if err := tx.Take(&code, "hash = ?", codeHash).Error; err != nil {
			return err
		}
		if code.UsedAt != 0 {
			return rules.ErrCodeUsed
		}
		if ttl > 0 && b.BoundAt.Sub(s.tm(code.CreatedAt)) > ttl {
			return rules.ErrCodeExpired
		}
		// The conditional update is the claim: of two concurrent uses of
		// the same code exactly one sees a row affected.
		res := tx.Model(&bindingCodeRow{}).Where("id = ? AND used_at = 0", code.ID).Update("used_at", ns(b.BoundAt))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return rules.ErrCodeUsed
		}
		row := bindingRow{Remark: code.Remark, UserName: b.UserName, NickName: b.NickName, CodeID: code.ID, BoundAt: ns(b.BoundAt)}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		b.ID, b.Remark, b.CodeID = row.ID, code.Remark, code.ID
		return s.audit(tx, code.Remark, "bind", 0, "", fmt.Sprintf("binding #%d by code #%d", row.ID, code.ID))
	})
	if err != nil {
		return rules.Binding{}, wrap("claim binding code", err)
	}
	return b, nil
}

// ActiveBindings returns the bindings not ended, oldest first.
func (s *Store) ActiveBindings(ctx context.Context) ([]rules.Binding, error) {
	var rows []bindingRow
	if err := s.db.WithContext(ctx).Where("ended_at = 0").Order("bound_at, id").Find(&rows).Error; err != nil {
		return nil, wrap("active bindings", err)
	}
	out := make([]rules.Binding, len(rows))
	for i, r := range rows {
		out[i] = s.binding(r)
	}
	return out, nil
}

func (s *Store) binding(r bindingRow) rules.Binding {
	return rules.Binding{ID: r.ID, Remark: r.Remark, UserName: r.UserName, NickName: r.NickName, CodeID: r.CodeID,
		BoundAt: s.tm(r.BoundAt), EndedAt: s.tm(r.EndedAt), EndReason: r.EndReason, EndedBy: r.EndedBy}
}

// EndBindings ends the active bindings of remark (every active binding
// when remark is ""), each audited with reason and actor, and returns the
// ones it ended.
func (s *Store) EndBindings(ctx context.Context, remark, reason, actor string, at time.Time) ([]rules.Binding, error) {
	var ended []rules.Binding
	err := s.tx(ctx, func(tx *gorm.DB) error {
		ended = nil
		q := tx.Where("ended_at = 0")
		if remark != "" {
			q = q.Where("remark = ?", remark)
		}
		var rows []bindingRow
		if err := q.Order("id").Find(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			res := tx.Model(&bindingRow{}).Where("id = ? AND ended_at = 0", r.ID).
				Updates(map[string]any{"ended_at": ns(at), "end_reason": reason, "ended_by": actor})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				continue
			}
			r.EndedAt, r.EndReason, r.EndedBy = ns(at), reason, actor
			if err := s.audit(tx, actor, "unbind", 0, "", fmt.Sprintf("binding #%d of %s ended: %s", r.ID, r.Remark, reason)); err != nil {
				return err
			}
			ended = append(ended, s.binding(r))
		}
		return nil
	})
	if err != nil {
		return nil, wrap("end bindings remark="+remark, err)
	}
	return ended, nil
}

// BindFailures returns how many wrong codes were counted under key.
func (s *Store) BindFailures(ctx context.Context, key string) (int, error) {
	var r bindFailRow
	err := s.db.WithContext(ctx).Take(&r, clause.Eq{Column: clause.Column{Name: "key"}, Value: key}).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return 0, nil
	case err != nil:
		return 0, wrap("bind failures", err)
	}
	return r.Fails, nil
}

// AddBindFailure counts one wrong code under key and returns the new
// count. Counters untouched for two days are dropped on the way: a key
// holds a day.
func (s *Store) AddBindFailure(ctx context.Context, key string) (int, error) {
	now := s.now()
	var n int
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("updated_at < ?", ns(now.Add(-48*time.Hour))).Delete(&bindFailRow{}).Error; err != nil {
			return err
		}
		err := tx.Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "key"}},
			DoUpdates: clause.Assignments(map[string]any{
				"fails": gorm.Expr("binding_failures.fails + 1"), "updated_at": ns(now),
			}),
		}).Create(&bindFailRow{Key: key, Fails: 1, UpdatedAt: ns(now)}).Error
		if err != nil {
			return err
		}
		var r bindFailRow
		if err := tx.Take(&r, clause.Eq{Column: clause.Column{Name: "key"}, Value: key}).Error; err != nil {
			return err
		}
		n = r.Fails
		return nil
	})
	return n, wrap("add bind failure", err)
}
