package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"dudaobot/rules"
)

// SubmissionsToVerify lists the year's live (not withdrawn) versions whose
// file resembles another unit's (rules.Submission.Resembles, as its
// receipt said), oldest first: the directors' digest names their units.
func (s *Store) SubmissionsToVerify(ctx context.Context, year int) ([]rules.Submission, error) {
	var rows []submissionRow
	if err := s.db.WithContext(ctx).Where("year = ? AND version > 0 AND resembles <> ''", year).
		Order("received_at, id").Find(&rows).Error; err != nil {
		return nil, wrap(fmt.Sprintf("submissions to verify %d", year), err)
	}
	out := make([]rules.Submission, len(rows))
	for i, r := range rows {
		out[i] = s.submissionFromRow(r)
	}
	return out, nil
}

// encodeResemblance is the column value of r: "" when it resembles
// nothing, so the digest's read skips the row by a plain comparison.
func encodeResemblance(r rules.Resemblance) string {
	if r.IsZero() {
		return ""
	}
	b, _ := json.Marshal(r) // a struct of two string slices: Marshal cannot fail
	return string(b)
}

// decodeResemblance reads a row's column. A value that cannot be read is
// logged and read as nothing found: the file itself is stored all the same.
func (s *Store) decodeResemblance(r submissionRow) rules.Resemblance {
	var out rules.Resemblance
	if r.Resembles == "" {
		return out
	}
	if err := json.Unmarshal([]byte(r.Resembles), &out); err != nil {
		s.log.Error("submission resemblance unreadable", slog.Int64("id", r.ID), slog.String("err", err.Error()))
		return rules.Resemblance{}
	}
	return out
}
