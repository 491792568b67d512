package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"dudaobot/clock"
	"dudaobot/rules"
)

// env is what every command reads: the configured roster, the stores, the
// clock and the year. It is built once by New and never changes, so it
// needs no lock; the command types (director, official, confirmations,
// receiver, reportChecks, bindings) embed it.
type env struct {
	replier
	o         Options
	store     stores
	files     Files
	clock     clock.Clock
	log       *slog.Logger
	loc       *time.Location
	year      int
	units     map[string]rules.Unit // by key
	people    map[string]rules.Identity
	officials map[string][]rules.Official // unit key → officials (not backups)
	// contacts names each person by remark as people know them (unit and
	// name, rules.ContactLabels): a reply never shows a remark.
	contacts map[string]string
}

// stores are the conversations' three store interfaces in one value, so a
// command reads d.store.Submissions or d.store.Broadcasts alike.
type stores struct {
	SubmissionStore
	BroadcastStore
	StateStore
}

func newEnv(o Options) *env {
	d := &env{
		replier: replier{clock: o.Clock, log: o.Logger, replaceable: o.RateLimit >= 0},
		o:       o, files: o.Files, clock: o.Clock, log: o.Logger,
		store: stores{SubmissionStore: o.Submissions, BroadcastStore: o.Broadcasts, StateStore: o.State},
		loc:   o.Calendar.Location, year: o.Calendar.Year,
		units: map[string]rules.Unit{}, people: map[string]rules.Identity{}, officials: map[string][]rules.Official{},
		contacts: rules.ContactLabels(o.Units, o.Directors, o.Inspectors),
	}
	for _, u := range o.Units {
		d.units[u.Key] = u
		for _, p := range u.Officials {
			if p.WeChatRemark == "" {
				continue
			}
			d.people[p.WeChatRemark] = rules.Identity{Role: rules.RoleOfficial, Name: p.Name, Remark: p.WeChatRemark, UnitKey: u.Key}
			d.officials[u.Key] = append(d.officials[u.Key], p)
		}
		if b := u.Backup; b != nil && b.WeChatRemark != "" {
			// A backup acts for the unit when the official is away.
			d.people[b.WeChatRemark] = rules.Identity{Role: rules.RoleOfficial, Name: b.Name, Remark: b.WeChatRemark, UnitKey: u.Key}
		}
	}
	for _, p := range o.Inspectors {
		if p.WeChatRemark != "" {
			d.people[p.WeChatRemark] = rules.Identity{Role: rules.RoleInspector, Name: p.Name, Remark: p.WeChatRemark}
		}
	}
	for _, dir := range o.Directors {
		if dir.WeChatRemark == "" {
			continue
		}
		id := rules.Identity{Role: rules.RoleDirector, Name: dir.Name, Remark: dir.WeChatRemark}
		if prev, ok := d.people[dir.WeChatRemark]; ok {
			id.UnitKey = prev.UnitKey // a director may also answer for the office's own unit
		}
		d.people[dir.WeChatRemark] = id
	}
	return d
}

// calendar is the year's calendar with the DB overrides (督导结束) applied.
func (d *env) calendar(ctx context.Context) (rules.Calendar, error) {
	c, err := d.store.Calendar(ctx, d.year, d.loc)
	if err != nil {
		if isNotFound(err) {
			return d.o.Calendar, nil
		}
		return rules.Calendar{}, fmt.Errorf("handlers: calendar: %w", err)
	}
	if c.Location == nil {
		c.Location = d.loc
	}
	return c, nil
}

// isNotFound reports whether a store said there is no such row.
func isNotFound(err error) bool { return errors.Is(err, rules.ErrNotFound) }

// unitNow is what a handler acting for one unit reads first: the unit, the
// calendar with the director's overrides, and the unit's year so far, in
// one read (状态 runs it for every message).
func (d *env) unitNow(ctx context.Context, unitKey string) (rules.Unit, rules.Calendar, rules.UnitYear, error) {
	unit := d.units[unitKey]
	cal, uy, err := d.store.UnitNow(ctx, d.year, unit.Key, d.loc)
	if err != nil {
		return unit, rules.Calendar{}, rules.UnitYear{}, fmt.Errorf("handlers: unit year %s: %w", unit.Key, err)
	}
	if cal.Year == 0 { // the year has no row: the configured calendar
		cal = d.o.Calendar
	}
	if cal.Location == nil {
		cal.Location = d.loc
	}
	return unit, cal, uy, nil
}
