package app

import (
	"context"
	"fmt"

	"dudaobot/rules"
)

// yearRecords is what the score sheets and the report read of a year: the
// calendar in the configured zone, the roster, each unit's year, who was
// inspected, and the problem lists.
type yearRecords struct {
	Calendar  rules.Calendar
	Units     []rules.Unit
	UnitYears []rules.UnitYear
	Inspected rules.Inspected
	Problems  []rules.Problem
}

// yearRecords reads them once for both, so the report does not read them
// again for its scores.
func (c *Core) yearRecords(ctx context.Context, year int) (yearRecords, error) {
	var r yearRecords
	var err error
	if r.Calendar, err = c.Store.Calendar(ctx, year, c.Config.Location()); err != nil {
		return r, fmt.Errorf("calendar %d: %w", year, err)
	}
	if r.Units, err = c.Store.Units(ctx); err != nil {
		return r, fmt.Errorf("units: %w", err)
	}
	if r.UnitYears, err = c.Store.UnitYears(ctx, year); err != nil {
		return r, fmt.Errorf("unit years %d: %w", year, err)
	}
	if r.Inspected, err = c.Store.Inspected(ctx, year); err != nil {
		return r, fmt.Errorf("inspected %d: %w", year, err)
	}
	if r.Problems, err = c.Store.Problems(ctx, year, ""); err != nil {
		return r, fmt.Errorf("problems %d: %w", year, err)
	}
	return r, nil
}
