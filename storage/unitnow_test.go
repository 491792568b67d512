package storage_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"dudaobot/rules"
	"dudaobot/storage"
)

// TestUnitNow: UnitNow returns what Calendar and UnitYear return, from one
// query: the director's end of inspection, a unit's versions and its
// feedback; the zero calendar for a year without a row; ErrNotFound for a
// unit not on the roster.
func TestUnitNow(t *testing.T) {
	s := MustOpen(t)
	same := func(label string, year int, unitKey string) {
		t.Helper()
		cal, uy, err := s.UnitNow(ctx, year, unitKey, shanghai)
		mustNoErr(t, err)
		wantUY, err := s.UnitYear(ctx, year, unitKey)
		mustNoErr(t, err)
		wantCal, err := s.Calendar(ctx, year, shanghai)
		if errors.Is(err, storage.ErrNotFound) {
			wantCal, err = rules.Calendar{}, nil
		}
		mustNoErr(t, err)
		if !reflect.DeepEqual(cal, wantCal) {
			t.Errorf("%s: calendar %+v, want %+v", label, cal, wantCal)
		}
		if !reflect.DeepEqual(uy, wantUY) {
			t.Errorf("%s: unit year %+v, want %+v", label, uy, wantUY)
		}
	}
	same("fresh", 2027, "czj")

	for _, at := range []time.Time{t0, t0.Add(time.Hour), t0.Add(30 * 24 * time.Hour)} {
		_, err := s.AddSubmission(ctx, sub("czj", rules.StageSelfAssessment, at), "财政-张三", receipt("财政-张三"))
		mustNoErr(t, err)
	}
	mustNoErr(t, s.SetInspectionEnd(ctx, 2027, rules.Date{Year: 2027, Month: time.April, Day: 25}, "督导办-孙主任"))
	same("with versions and 督导结束", 2027, "czj")
	same("another unit", 2027, "jyj")
	cal, uy, err := s.UnitNow(ctx, 2027, "czj", shanghai)
	mustNoErr(t, err)
	if cal.InspectionEnd != (rules.Date{Year: 2027, Month: time.April, Day: 25}) || cal.Location != shanghai {
		t.Errorf("calendar: %+v", cal)
	}
	if uy.Versions[rules.StageSelfAssessment] != 3 || !uy.LastSubmitted[rules.StageSelfAssessment].Equal(t0.Add(30*24*time.Hour)) {
		t.Errorf("unit year: %+v", uy)
	}

	cal, uy, err = s.UnitNow(ctx, 2031, "czj", shanghai)
	mustNoErr(t, err)
	if cal.Year != 0 || uy.UnitKey != "czj" || len(uy.Versions) != 0 {
		t.Errorf("a year without a row: %+v %+v", cal, uy)
	}
	_, _, err = s.UnitNow(ctx, 2027, "nope", shanghai)
	wantErr(t, err, storage.ErrNotFound)
}
