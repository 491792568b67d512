package storage_test

import (
	"reflect"
	"testing"

	"dudaobot/rules"
	"dudaobot/storage"
)

// The config's per-unit stages survive the roster sync, and the year's
// inspected set (受检单位) turns into each unit's not-applicable stages in
// UnitYears and UnitYear; the change is audited and survives EnsureYear.
func TestInspectedAndStages(t *testing.T) {
	s := MustOpen(t)
	units := append([]rules.Unit(nil), testUnits...)
	units[1].Stages = []rules.Stage{rules.StageSelfAssessment} // jyj: inspected: false
	units[2].Stages = []rules.Stage{}                          // rsj: not evaluated
	mustNoErr(t, s.SyncRoster(ctx, units, testDirectors))
	stored, err := s.Units(ctx)
	mustNoErr(t, err)
	for i, u := range stored {
		if !reflect.DeepEqual(u.Stages, units[i].Stages) {
			t.Errorf("%s: stored stages %#v, want %#v", u.Key, u.Stages, units[i].Stages)
		}
	}

	in, err := s.Inspected(ctx, 2027)
	mustNoErr(t, err)
	if in.Marked {
		t.Fatalf("a new year has a marked inspected set: %+v", in)
	}
	na := func() map[string]map[rules.Stage]bool {
		ys, err := s.UnitYears(ctx, 2027)
		mustNoErr(t, err)
		out := map[string]map[rules.Stage]bool{}
		for _, y := range ys {
			out[y.UnitKey] = y.NotApplicable
			one, err := s.UnitYear(ctx, 2027, y.UnitKey)
			mustNoErr(t, err)
			if !reflect.DeepEqual(one.NotApplicable, y.NotApplicable) {
				t.Errorf("%s: UnitYear says %v, UnitYears %v", y.UnitKey, one.NotApplicable, y.NotApplicable)
			}
			_, now, err := s.UnitNow(ctx, 2027, y.UnitKey, shanghai)
			mustNoErr(t, err)
			if !reflect.DeepEqual(now.NotApplicable, y.NotApplicable) {
				t.Errorf("%s: UnitNow says %v, UnitYears %v", y.UnitKey, now.NotApplicable, y.NotApplicable)
			}
		}
		return out
	}
	rect := map[rules.Stage]bool{rules.StageFeedback: true, rules.StageRectificationPlan: true, rules.StageRectificationDone: true}
	all := map[rules.Stage]bool{rules.StageSelfAssessment: true, rules.StageFeedback: true, rules.StageRectificationPlan: true, rules.StageRectificationDone: true}
	if got, want := na(), map[string]map[rules.Stage]bool{"czj": nil, "jyj": rect, "rsj": all}; !reflect.DeepEqual(got, want) {
		t.Errorf("before marking: %v, want %v", got, want)
	}

	wantErr(t, s.SetInspected(ctx, 2027, []string{"czj", "nope"}, "督导办-孙主任"), storage.ErrNotFound)
	wantErr(t, s.SetInspected(ctx, 2031, []string{"czj"}, "督导办-孙主任"), storage.ErrNotFound)
	mustNoErr(t, s.SetInspected(ctx, 2027, []string{"jyj"}, "督导办-孙主任"))
	mustNoErr(t, s.EnsureYear(ctx, cal2027)) // a restart keeps the director's set
	in, err = s.Inspected(ctx, 2027)
	mustNoErr(t, err)
	if want := rules.NewInspected([]string{"jyj"}); !reflect.DeepEqual(in, want) {
		t.Errorf("Inspected = %+v, want %+v", in, want)
	}
	// czj is not inspected this year; jyj is marked but its config says no feedback.
	if got, want := na(), map[string]map[rules.Stage]bool{"czj": rect, "jyj": rect, "rsj": all}; !reflect.DeepEqual(got, want) {
		t.Errorf("after marking jyj: %v, want %v", got, want)
	}
	mustNoErr(t, s.SetInspected(ctx, 2027, []string{"czj"}, "督导办-孙主任"))
	if got, want := na(), map[string]map[rules.Stage]bool{"czj": nil, "jyj": rect, "rsj": all}; !reflect.DeepEqual(got, want) {
		t.Errorf("after marking czj: %v, want %v", got, want)
	}
	trail, err := s.AuditTrail(ctx, 2027, "")
	mustNoErr(t, err)
	var details []string
	for _, e := range trail {
		if e.Action == "inspected" {
			details = append(details, e.Actor+" "+e.Detail)
		}
	}
	if want := []string{"督导办-孙主任 from=[] to=[jyj]", "督导办-孙主任 from=[jyj] to=[czj]"}; !reflect.DeepEqual(details, want) {
		t.Errorf("audit = %q, want %q", details, want)
	}
}
