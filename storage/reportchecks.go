package storage

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm/clause"

	"dudaobot/rules"
)

// ReportChecks reads the saved checks of the year's latest self-assessment
// reports (rules.ReportCheckKey), by unit key, in one query: the digest,
// the reminders, their send-time re-check and the ledger read them all at
// once. A value that does not decode is an error naming its key.
func (s *Store) ReportChecks(ctx context.Context, year int) (map[string]rules.SavedReportCheck, error) {
	prefix := rules.ReportCheckKeyPrefix(year)
	var rows []stateRow
	if err := s.db.WithContext(ctx).Where(clause.Like{Column: clause.Column{Name: "key"}, Value: prefix + "%"}).Find(&rows).Error; err != nil {
		return nil, wrap(fmt.Sprintf("report checks %d", year), err)
	}
	out := make(map[string]rules.SavedReportCheck, len(rows))
	for _, r := range rows {
		if !strings.HasPrefix(r.Key, prefix) {
			continue
		}
		c, err := rules.DecodeReportCheck(r.Value)
		if err != nil {
			return nil, fmt.Errorf("storage: report check %s: %w", r.Key, err)
		}
		out[strings.TrimPrefix(r.Key, prefix)] = c
	}
	return out, nil
}
