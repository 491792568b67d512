package storage_test

import (
	"reflect"
	"testing"

	"dudaobot/rules"
)

// TestUnitsReadsEveryField reads back a roster whose config order is not
// its key order, with duties, stages, aliases (none, empty, some), a unit
// with a backup and no official, one with neither, and units of several
// officials; and checks that a unit's officials list is its own (an append
// to it must not write into the next unit's); and UnitNames, the names of
// the roster's units alone.
func TestUnitsReadsEveryField(t *testing.T) {
	s := MustOpen(t)
	roster := []rules.Unit{
		{Key: "zb", Name: "县组织部", Duties: "组织", SortOrder: 1, Aliases: []string{"组织部"},
			Officials: []rules.Official{{Name: "甲", WeChatRemark: "组织-甲"}, {Name: "乙", WeChatRemark: "组织-乙"}},
			Backup:    &rules.Official{Name: "丙", WeChatRemark: "组织-丙"}},
		{Key: "aa", Name: "县档案馆", SortOrder: 2, Aliases: []string{},
			Backup: &rules.Official{Name: "丁", WeChatRemark: "档案-丁"}},
		{Key: "mm", Name: "县民政局", SortOrder: 3, Stages: []rules.Stage{rules.StageSelfAssessment}},
		{Key: "cc", Name: "县财政局", SortOrder: 4, Stages: []rules.Stage{},
			Officials: []rules.Official{{Name: "戊", WeChatRemark: "财政-戊"}}},
	}
	mustNoErr(t, s.SyncRoster(ctx, roster, testDirectors))
	got, err := s.Units(ctx)
	mustNoErr(t, err)
	want := make([]rules.Unit, len(roster))
	for i, u := range roster {
		want[i] = u
		want[i].Officials = nil
		for _, o := range u.Officials {
			o.UnitKey = u.Key
			want[i].Officials = append(want[i].Officials, o)
		}
		if u.Backup != nil {
			b := *u.Backup
			b.UnitKey, b.IsBackup = u.Key, true
			want[i].Backup = &b
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Units:\n got %+v\nwant %+v", got, want)
	}
	names, err := s.UnitNames(ctx)
	mustNoErr(t, err)
	if want := map[string]string{"zb": "县组织部", "aa": "县档案馆", "mm": "县民政局", "cc": "县财政局"}; !reflect.DeepEqual(names, want) {
		t.Errorf("UnitNames = %v, want %v (units that left the roster have no name)", names, want)
	}
	first := got[0].Officials
	_ = append(first, rules.Official{Name: "多余"})
	if again, err := s.Units(ctx); err != nil || !reflect.DeepEqual(again, want) {
		t.Fatalf("second read: %+v %v", again, err)
	}
	if got[1].Officials != nil || got[3].Officials[0].Name != "戊" {
		t.Fatalf("an append to one unit's officials changed another's: %+v", got)
	}
}
