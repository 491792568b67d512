package outbox

import (
	"context"
	"fmt"
	"time"

	"dudaobot/rules"
)

// TruthStore is what StoreTruth reads (*storage.Store has it).
type TruthStore interface {
	Calendar(ctx context.Context, year int, loc *time.Location) (rules.Calendar, error)
	Units(ctx context.Context) ([]rules.Unit, error)
	UnitYears(ctx context.Context, year int) ([]rules.UnitYear, error)
	UnitYear(ctx context.Context, year int, unitKey string) (rules.UnitYear, error)
	Broadcasts(ctx context.Context, year int) ([]rules.Broadcast, error)
	Acks(ctx context.Context, year int) (map[int64]map[string]time.Time, error)
	// Problems is the year's rectification items of one unit ("" = all).
	Problems(ctx context.Context, year int, unitKey string) ([]rules.Problem, error)
	// ReportChecks are the saved checks of the year's latest reports.
	ReportChecks(ctx context.Context, year int) (map[string]rules.SavedReportCheck, error)
	// SubmissionsToVerify are the year's files that resemble another
	// unit's (the digest's 需核实 lines).
	SubmissionsToVerify(ctx context.Context, year int) ([]rules.Submission, error)
	// GetState reads the digest's state (rules.DigestStateKey).
	GetState(ctx context.Context, key string) (string, bool, error)
}

// StoreTruth is the relay's Truth over the database: it reads the year as
// it is now and judges with the rules the planner and the status use
// (rules.RecheckReminder, rules.BuildDigest).
type StoreTruth struct {
	Store    TruthStore
	Location *time.Location
	Policy   rules.ReminderPolicy
	// Year is the assessment year of digests (their rows assert nothing).
	Year int
}

// Recheck implements Truth.
func (t StoreTruth) Recheck(ctx context.Context, m rules.Outgoing, now time.Time) (rules.Outgoing, bool, error) {
	if m.Kind == "digest" {
		return t.digest(ctx, m, now)
	}
	if len(m.Asserts) == 0 {
		return m, true, nil
	}
	year := m.Asserts[0].Year
	in := rules.TruthInput{Now: now, Years: map[string]rules.UnitYear{}}
	var err error
	if in.Calendar, err = t.Store.Calendar(ctx, year, t.Location); err != nil {
		return m, false, fmt.Errorf("outbox: truth: calendar %d: %w", year, err)
	}
	units := map[string]bool{}
	ack, feedback, items, parts := false, false, false, false
	for _, o := range m.Asserts {
		units[o.UnitKey] = true
		ack = ack || o.Stage == rules.StageAck
		feedback = feedback || o.Stage == rules.StageFeedback
		items = items || o.Stage.IsItemStage()
		parts = parts || o.Stage == rules.StageReportParts
	}
	if parts {
		if in.ReportChecks, err = t.Store.ReportChecks(ctx, year); err != nil {
			return m, false, fmt.Errorf("outbox: truth: report checks: %w", err)
		}
	}
	if items {
		unit := ""
		if len(units) == 1 {
			unit = m.Asserts[0].UnitKey
		}
		if in.Problems, err = t.Store.Problems(ctx, year, unit); err != nil {
			return m, false, fmt.Errorf("outbox: truth: problems: %w", err)
		}
	}
	if len(units) == 1 {
		// One unit (every unit reminder): the one-unit read, not the overview.
		uy, err := t.Store.UnitYear(ctx, year, m.Asserts[0].UnitKey)
		if err != nil {
			return m, false, fmt.Errorf("outbox: truth: unit %s: %w", m.Asserts[0].UnitKey, err)
		}
		in.Years[uy.UnitKey] = uy
	} else {
		all, err := t.Store.UnitYears(ctx, year)
		if err != nil {
			return m, false, fmt.Errorf("outbox: truth: unit years: %w", err)
		}
		for _, uy := range all {
			in.Years[uy.UnitKey] = uy
		}
	}
	if feedback {
		if in.Units, err = t.Store.Units(ctx); err != nil {
			return m, false, fmt.Errorf("outbox: truth: units: %w", err)
		}
	}
	if ack {
		bs, err := t.Store.Broadcasts(ctx, year)
		if err != nil {
			return m, false, fmt.Errorf("outbox: truth: broadcasts: %w", err)
		}
		in.Broadcasts = make(map[int64]rules.Broadcast, len(bs))
		for _, b := range bs {
			in.Broadcasts[b.ID] = b
		}
		if in.Acks, err = t.Store.Acks(ctx, year); err != nil {
			return m, false, fmt.Errorf("outbox: truth: acks: %w", err)
		}
	}
	out, ok := rules.RecheckReminder(in, m)
	return out, ok, nil
}

// digest renders a queued digest again at send time: its counts and lists
// are a snapshot, so it says how things stand when it is read. Its date
// and number stay those of the day it was made.
func (t StoreTruth) digest(ctx context.Context, m rules.Outgoing, now time.Time) (rules.Outgoing, bool, error) {
	c, err := t.Store.Calendar(ctx, t.Year, t.Location)
	if err != nil {
		return m, false, fmt.Errorf("outbox: truth: calendar %d: %w", t.Year, err)
	}
	units, err := t.Store.Units(ctx)
	if err != nil {
		return m, false, fmt.Errorf("outbox: truth: units: %w", err)
	}
	years, err := t.Store.UnitYears(ctx, t.Year)
	if err != nil {
		return m, false, fmt.Errorf("outbox: truth: unit years: %w", err)
	}
	checks, err := t.Store.ReportChecks(ctx, t.Year)
	if err != nil {
		return m, false, fmt.Errorf("outbox: truth: report checks: %w", err)
	}
	toVerify, err := t.Store.SubmissionsToVerify(ctx, t.Year)
	if err != nil {
		return m, false, fmt.Errorf("outbox: truth: files to verify: %w", err)
	}
	d := rules.BuildDigest(c, t.Policy, units, years, now)
	d.ReportGaps = rules.ReportGaps(units, years, checks)
	d.ToVerify = toVerify
	if !m.CreatedAt.IsZero() {
		d.Date = rules.DateOf(m.CreatedAt, c.Location)
		v, ok, err := t.Store.GetState(ctx, rules.DigestStateKey)
		if err != nil {
			return m, false, fmt.Errorf("outbox: truth: digest state: %w", err)
		}
		if ok {
			st, err := rules.ParseDigestState(v)
			if err != nil {
				return m, false, fmt.Errorf("outbox: truth: %w", err)
			}
			d.Since = st.SinceFor(m.CreatedAt, c.Location)
		}
	}
	if m.To.Group != "" {
		m.Text = d.GroupText()
	} else {
		m.Text = d.DirectorText()
	}
	return m, true, nil
}
