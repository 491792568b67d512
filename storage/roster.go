package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"dudaobot/rules"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// actorConfig is the audit actor for changes that come from config.yaml.
const actorConfig = "config"

// SyncRoster makes the stored roster equal to the configured one (config is
// the source of truth; this runs at every start). Units that left the roster
// are removed with their officials; their submissions stay, for the record.
func (s *Store) SyncRoster(ctx context.Context, units []rules.Unit, directors []rules.Director) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		// Officials and directors are rewritten whole: they have no identity
		// of their own beyond their position in the config.
		if err := tx.Where("1 = 1").Delete(&officialRow{}).Error; err != nil {
			return err
		}
		if err := tx.Where("1 = 1").Delete(&directorRow{}).Error; err != nil {
			return err
		}
		keys := make([]string, 0, len(units))
		var officials []officialRow
		for i, u := range units {
			if u.Key == "" {
				return fmt.Errorf("unit %d %q has no key", i, u.Name)
			}
			keys = append(keys, u.Key)
			aliases, err := json.Marshal(u.Aliases)
			if err != nil {
				return err
			}
			row := unitRow{UnitKey: u.Key, Name: u.Name, Aliases: string(aliases), Duties: u.Duties, SortOrder: listPosition(u.SortOrder, i), Stages: encodeStages(u.Stages)}
			if err := tx.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "unit_key"}},
				DoUpdates: clause.AssignmentColumns([]string{"name", "aliases", "duties", "sort_order", "stages"}),
			}).Create(&row).Error; err != nil {
				return err
			}
			for j, o := range u.Officials {
				officials = append(officials, officialRow{UnitKey: u.Key, Name: o.Name, Remark: o.WeChatRemark, Position: j})
			}
			if b := u.Backup; b != nil {
				officials = append(officials, officialRow{UnitKey: u.Key, Name: b.Name, Remark: b.WeChatRemark, IsBackup: true, Position: len(u.Officials)})
			}
		}
		q := tx.Where("1 = 1")
		if len(keys) > 0 {
			q = tx.Where("unit_key NOT IN ?", keys)
		}
		if err := q.Delete(&unitRow{}).Error; err != nil {
			return err
		}
		if len(officials) > 0 {
			if err := tx.CreateInBatches(officials, 200).Error; err != nil {
				return err
			}
		}
		if len(directors) > 0 {
			rows := make([]directorRow, len(directors))
			for i, d := range directors {
				rows[i] = directorRow{Name: d.Name, Remark: d.WeChatRemark, Position: i}
			}
			if err := tx.Create(&rows).Error; err != nil {
				return err
			}
		}
		return s.audit(tx, actorConfig, "roster", 0, "",
			fmt.Sprintf("units=%d officials=%d directors=%d", len(units), len(officials), len(directors)))
	})
	return wrap("sync roster", err)
}

// Units returns the roster in config order, each unit with its officials
// and backup. Two queries, whatever the number of units, run on
// database/sql directly (hotStmts): at 5,000 units gorm's row mapping made
// the roster read cost as much as the year's whole overview, and the
// ledger, 总览 and every sweep read it.
func (s *Store) Units(ctx context.Context) ([]rules.Unit, error) {
	out, err := s.units(ctx)
	if err != nil {
		return nil, wrap("units", err)
	}
	return out, nil
}

// UnitNames returns each roster unit's name by its key (the ledger's
// sheets name units and need nothing else of the roster).
func (s *Store) UnitNames(ctx context.Context) (map[string]string, error) {
	out, err := s.unitNames(ctx)
	if err != nil {
		return nil, wrap("unit names", err)
	}
	return out, nil
}

func (s *Store) unitNames(ctx context.Context) (map[string]string, error) {
	rows, err := s.hotStmts.unitNames.QueryContext(ctx)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]string, s.rosterSize.Load())
	var key, name string
	for rows.Next() {
		if err := rows.Scan(&key, &name); err != nil {
			return nil, err
		}
		out[key] = name
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	s.rosterSize.Store(int64(len(out)))
	return out, nil
}

const (
	unitNamesSQL = `SELECT unit_key, name FROM units`
	unitsSQL     = `SELECT unit_key, name, COALESCE(aliases, ''), COALESCE(duties, ''), sort_order, COALESCE(stages, '')
FROM units ORDER BY sort_order, unit_key`
	officialsSQL = `SELECT unit_key, COALESCE(name, ''), remark, is_backup FROM officials ORDER BY unit_key, is_backup, position, id`
)

func (s *Store) units(ctx context.Context) ([]rules.Unit, error) {
	rows, err := s.hotStmts.units.QueryContext(ctx)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		out             []rules.Unit
		aliases, stages string
	)
	for rows.Next() {
		var u rules.Unit
		if err := rows.Scan(&u.Key, &u.Name, &aliases, &u.Duties, &u.SortOrder, &stages); err != nil {
			return nil, err
		}
		u.Stages = decodeStages(stages)
		if aliases != "" && aliases != "null" {
			if err := json.Unmarshal([]byte(aliases), &u.Aliases); err != nil {
				return nil, fmt.Errorf("aliases of %s: %w", u.Key, err)
			}
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := s.addOfficials(ctx, out); err != nil {
		return nil, fmt.Errorf("officials: %w", err)
	}
	return out, nil
}

// addOfficials fills in each unit's officials (in config order) and backup.
// The officials come grouped by unit, so each unit's list is a piece of
// one array, cut to its length (an append to it copies).
func (s *Store) addOfficials(ctx context.Context, units []rules.Unit) error {
	at := make(map[string]int, len(units))
	for i, u := range units {
		at[u.Key] = i
	}
	rows, err := s.hotStmts.officials.QueryContext(ctx)
	if err != nil {
		return err
	}
	defer rows.Close()
	all := make([]rules.Official, 0, len(units))
	cut := func(start int) {
		if start < len(all) {
			if i, ok := at[all[start].UnitKey]; ok {
				units[i].Officials = all[start:len(all):len(all)]
			}
		}
	}
	start := 0
	for rows.Next() {
		var o rules.Official
		if err := rows.Scan(&o.UnitKey, &o.Name, &o.WeChatRemark, &o.IsBackup); err != nil {
			return err
		}
		if start < len(all) && all[start].UnitKey != o.UnitKey {
			cut(start)
			start = len(all)
		}
		if o.IsBackup {
			if i, ok := at[o.UnitKey]; ok {
				units[i].Backup = &o
			}
			continue
		}
		all = append(all, o)
	}
	cut(start)
	return rows.Err()
}

// LoadIndicators replaces the stored indicator system with the embedded one.
func (s *Store) LoadIndicators(ctx context.Context, list []rules.Indicator) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("1 = 1").Delete(&indicatorRow{}).Error; err != nil {
			return err
		}
		rows := make([]indicatorRow, len(list))
		for i, in := range list {
			th, err := json.Marshal(in.Thresholds)
			if err != nil {
				return err
			}
			rows[i] = indicatorRow{Code: in.Code, Level: in.Level, ParentCode: in.ParentCode, Text: in.Text, Thresholds: string(th), Position: listPosition(in.Order, i)}
		}
		if len(rows) > 0 {
			if err := tx.CreateInBatches(rows, 200).Error; err != nil {
				return err
			}
		}
		return s.audit(tx, actorConfig, "indicators", 0, "", fmt.Sprintf("indicators=%d", len(rows)))
	})
	return wrap("load indicators", err)
}

// Indicators returns the indicator system in its order.
func (s *Store) Indicators(ctx context.Context) ([]rules.Indicator, error) {
	var rows []indicatorRow
	if err := s.db.WithContext(ctx).Order("position, id").Find(&rows).Error; err != nil {
		return nil, wrap("indicators", err)
	}
	out := make([]rules.Indicator, len(rows))
	for i, r := range rows {
		out[i] = rules.Indicator{Code: r.Code, Level: r.Level, ParentCode: r.ParentCode, Text: r.Text, Order: r.Position}
		if r.Thresholds != "" && r.Thresholds != "null" {
			if err := json.Unmarshal([]byte(r.Thresholds), &out[i].Thresholds); err != nil {
				return nil, fmt.Errorf("storage: indicators: %s: %w", r.Code, err)
			}
		}
	}
	return out, nil
}

// EnsureYear stores the year's calendar from config. A missing row is
// created; an existing one gets config's dates (config stays the source of
// truth) but keeps the director's overrides, which live in their own columns.
func (s *Store) EnsureYear(ctx context.Context, c rules.Calendar) error {
	want := yearRow{
		Year:                  c.Year,
		SelfAssessmentDue:     dateText(c.SelfAssessmentDue),
		InspectionStart:       dateText(c.InspectionStart),
		InspectionEnd:         dateText(c.InspectionEnd),
		FeedbackDays:          c.FeedbackDays,
		RectificationPlanDays: c.RectificationPlanDays,
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var cur yearRow
		err := tx.Take(&cur, "year = ?", c.Year).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			if err := tx.Create(&want).Error; err != nil {
				return err
			}
			return s.audit(tx, actorConfig, "year", c.Year, "", "created from config")
		case err != nil:
			return err
		}
		want.InspectionEndOverride = cur.InspectionEndOverride
		want.InspectedUnits = cur.InspectedUnits
		if cur == want {
			return nil
		}
		if err := tx.Model(&yearRow{}).Where("year = ?", c.Year).Updates(map[string]any{
			"self_assessment_due":     want.SelfAssessmentDue,
			"inspection_start":        want.InspectionStart,
			"inspection_end":          want.InspectionEnd,
			"feedback_days":           want.FeedbackDays,
			"rectification_plan_days": want.RectificationPlanDays,
		}).Error; err != nil {
			return err
		}
		return s.audit(tx, actorConfig, "year", c.Year, "", "dates updated from config")
	})
	return wrap(fmt.Sprintf("ensure year %d", c.Year), err)
}

// Calendar returns the year's calendar in loc: config's dates overlaid with
// the director's override of the inspection end. ErrNotFound if EnsureYear
// never ran for the year.
func (s *Store) Calendar(ctx context.Context, year int, loc *time.Location) (rules.Calendar, error) {
	// Every command that shows a deadline reads this row: a hot statement
	// on database/sql, 42 µs a call through gorm's prepared Raw in the
	// inbound benchmark's profile.
	var r yearRow
	err := s.hotStmts.calendar.QueryRowContext(ctx, year).Scan(&r.Year, &r.SelfAssessmentDue, &r.InspectionStart,
		&r.InspectionEnd, &r.FeedbackDays, &r.RectificationPlanDays, &r.InspectionEndOverride)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return rules.Calendar{}, wrap(fmt.Sprintf("calendar %d", year), err)
	}
	c, err := calendarFromRow(r, loc)
	if err != nil {
		return rules.Calendar{}, fmt.Errorf("storage: calendar %d: %w", year, err)
	}
	return c, nil
}

// calendarFromRow is the calendar of a year's row, with the director's end
// of inspection (督导结束) over the configured one.
func calendarFromRow(r yearRow, loc *time.Location) (rules.Calendar, error) {
	c := rules.Calendar{Year: r.Year, Location: loc, FeedbackDays: r.FeedbackDays, RectificationPlanDays: r.RectificationPlanDays}
	end := r.InspectionEnd
	if r.InspectionEndOverride != "" {
		end = r.InspectionEndOverride
	}
	for _, f := range []struct {
		dst *rules.Date
		src string
	}{{&c.SelfAssessmentDue, r.SelfAssessmentDue}, {&c.InspectionStart, r.InspectionStart}, {&c.InspectionEnd, end}} {
		var err error
		if *f.dst, err = parseDate(f.src); err != nil {
			return rules.Calendar{}, err
		}
	}
	return c, nil
}

const calendarSQL = `SELECT year, COALESCE(self_assessment_due, ''), COALESCE(inspection_start, ''),
 COALESCE(inspection_end, ''), COALESCE(feedback_days, 0), COALESCE(rectification_plan_days, 0),
 COALESCE(inspection_end_override, '') FROM years WHERE year = ?`

// SetInspectionEnd records the director's 督导结束: the field inspection
// ended on d, which starts the office's 14-day feedback clock.
func (s *Store) SetInspectionEnd(ctx context.Context, year int, d rules.Date, actor string) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&yearRow{}).Where("year = ?", year).Update("inspection_end_override", dateText(d))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("year %d: %w", year, ErrNotFound)
		}
		return s.audit(tx, actor, "inspection_end", year, "", d.String())
	})
	return wrap(fmt.Sprintf("set inspection end %d", year), err)
}

// SetInspected records the director's 受检单位 for the year: the units
// inspected this year (feedback and rectification apply only to them). It
// replaces the previous set; the audit row names the old and the new set.
// ErrNotFound if the year or a unit is unknown.
func (s *Store) SetInspected(ctx context.Context, year int, unitKeys []string, actor string) error {
	op := fmt.Sprintf("set inspected %d", year)
	if len(unitKeys) == 0 {
		return fmt.Errorf("storage: %s: empty set", op)
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&unitRow{}).Where("unit_key IN ?", unitKeys).Count(&n).Error; err != nil {
			return err
		}
		if int(n) != len(unitKeys) {
			return fmt.Errorf("%d of %d units not on the roster: %w", len(unitKeys)-int(n), len(unitKeys), ErrNotFound)
		}
		var cur yearRow
		if err := tx.Select("inspected_units").Take(&cur, "year = ?", year).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return fmt.Errorf("year %d: %w", year, ErrNotFound)
			}
			return err
		}
		next := strings.Join(unitKeys, ",")
		if err := tx.Model(&yearRow{}).Where("year = ?", year).Update("inspected_units", next).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, "inspected", year, "", fmt.Sprintf("from=[%s] to=[%s]", cur.InspectedUnits, next))
	})
	return wrap(op, err)
}

// Inspected returns the year's inspected set (Marked false until the
// director named it). ErrNotFound if the year is unknown.
func (s *Store) Inspected(ctx context.Context, year int) (rules.Inspected, error) {
	var r yearRow
	err := s.db.WithContext(ctx).Select("inspected_units").Take(&r, "year = ?", year).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		err = ErrNotFound
	}
	if err != nil {
		return rules.Inspected{}, wrap(fmt.Sprintf("inspected %d", year), err)
	}
	return decodeInspected(r.InspectedUnits), nil
}

func decodeInspected(v string) rules.Inspected {
	if v == "" {
		return rules.Inspected{}
	}
	return rules.NewInspected(strings.Split(v, ","))
}

// encodeStages stores rules.Unit.Stages: nil (every stage) as "", an
// empty list as "none", else the names joined by commas.
func encodeStages(st []rules.Stage) string {
	switch {
	case st == nil:
		return ""
	case len(st) == 0:
		return stagesNone
	}
	names := make([]string, len(st))
	for i, x := range st {
		names[i] = string(x)
	}
	return strings.Join(names, ",")
}

const stagesNone = "none"

func decodeStages(v string) []rules.Stage {
	switch v {
	case "":
		return nil
	case stagesNone:
		return []rules.Stage{}
	}
	parts := strings.Split(v, ",")
	out := make([]rules.Stage, len(parts))
	for i, p := range parts {
		out[i] = rules.Stage(p)
	}
	return out
}

// audit appends one audit row inside tx.
func (s *Store) audit(tx *gorm.DB, actor, action string, year int, unitKey, detail string) error {
	if actor == "" {
		actor = "system"
	}
	return tx.Create(&auditRow{At: ns(s.now()), Actor: actor, Action: action, Year: year, UnitKey: unitKey, Detail: detail}).Error
}

// listPosition is the sort position of item i of a configured list: its
// own order when set, else its place in the list (1-based).
func listPosition(order, i int) int {
	if order != 0 {
		return order
	}
	return i + 1
}
