package rules_test

import (
	"testing"
	"time"

	"dudaobot/rules"
)

func TestDateAddDays(t *testing.T) {
	tests := []struct {
		d    rules.Date
		n    int
		want rules.Date
	}{
		{ymd(2027, time.January, 31), 1, ymd(2027, time.February, 1)},
		{ymd(2027, time.February, 28), 1, ymd(2027, time.March, 1)},
		{ymd(2028, time.February, 28), 1, ymd(2028, time.February, 29)},
		{ymd(2028, time.February, 29), 1, ymd(2028, time.March, 1)},
		{ymd(2027, time.December, 31), 1, ymd(2028, time.January, 1)},
		{ymd(2027, time.December, 25), 14, ymd(2028, time.January, 8)},
		{ymd(2027, time.April, 30), 14, ymd(2027, time.May, 14)},
		{ymd(2028, time.March, 1), -1, ymd(2028, time.February, 29)},
		{ymd(2027, time.March, 1), -1, ymd(2027, time.February, 28)},
		{ymd(2028, time.January, 1), -1, ymd(2027, time.December, 31)},
		{ymd(2028, time.January, 1), 366, ymd(2029, time.January, 1)},
		{ymd(2027, time.March, 1), 0, ymd(2027, time.March, 1)},
	}
	for _, tc := range tests {
		if got := tc.d.AddDays(tc.n); got != tc.want {
			t.Errorf("%s.AddDays(%d) = %s, want %s", tc.d, tc.n, got, tc.want)
		}
	}
}

func TestDateDaysUntil(t *testing.T) {
	tests := []struct {
		from, to rules.Date
		want     int
	}{
		{ymd(2027, time.March, 1), ymd(2027, time.March, 1), 0},
		{ymd(2027, time.March, 1), ymd(2027, time.March, 2), 1},
		{ymd(2027, time.March, 2), ymd(2027, time.March, 1), -1},
		{ymd(2027, time.February, 27), ymd(2027, time.March, 1), 2},
		{ymd(2028, time.February, 27), ymd(2028, time.March, 1), 3},
		{ymd(2027, time.January, 1), ymd(2028, time.January, 1), 365},
		{ymd(2028, time.January, 1), ymd(2029, time.January, 1), 366},
		{ymd(2027, time.December, 31), ymd(2028, time.January, 1), 1},
		{ymd(2027, time.May, 14), ymd(2027, time.May, 20), 6},
	}
	for _, tc := range tests {
		if got := tc.from.DaysUntil(tc.to); got != tc.want {
			t.Errorf("%s.DaysUntil(%s) = %d, want %d", tc.from, tc.to, got, tc.want)
		}
	}
}

func TestDateStartEnd(t *testing.T) {
	sh := loadZone(t, "Asia/Shanghai")
	ny := loadZone(t, "America/New_York")
	tests := []struct {
		name      string
		d         rules.Date
		loc       *time.Location
		wantStart time.Time
		wantEnd   time.Time
	}{
		{"Shanghai is UTC+8", ymd(2027, time.March, 1), sh,
			time.Date(2027, 2, 28, 16, 0, 0, 0, time.UTC), time.Date(2027, 3, 1, 16, 0, 0, 0, time.UTC)},
		{"Shanghai, year end", ymd(2027, time.December, 31), sh,
			time.Date(2027, 12, 30, 16, 0, 0, 0, time.UTC), time.Date(2027, 12, 31, 16, 0, 0, 0, time.UTC)},
		{"Shanghai, leap day", ymd(2028, time.February, 29), sh,
			time.Date(2028, 2, 28, 16, 0, 0, 0, time.UTC), time.Date(2028, 2, 29, 16, 0, 0, 0, time.UTC)},
		{"New York, the day DST starts is 23 hours", ymd(2027, time.March, 14), ny,
			time.Date(2027, 3, 14, 5, 0, 0, 0, time.UTC), time.Date(2027, 3, 15, 4, 0, 0, 0, time.UTC)},
		{"UTC", ymd(2027, time.March, 1), time.UTC,
			time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 3, 2, 0, 0, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.d.Start(tc.loc); !got.Equal(tc.wantStart) {
				t.Errorf("Start = %v, want %v", got.UTC(), tc.wantStart)
			}
			if got := tc.d.End(tc.loc); !got.Equal(tc.wantEnd) {
				t.Errorf("End = %v, want %v", got.UTC(), tc.wantEnd)
			}
			if got := rules.DateOf(tc.d.End(tc.loc).Add(-time.Nanosecond), tc.loc); got != tc.d {
				t.Errorf("DateOf(End-1ns) = %s, want %s", got, tc.d)
			}
			if got := rules.DateOf(tc.d.End(tc.loc), tc.loc); got != tc.d.AddDays(1) {
				t.Errorf("DateOf(End) = %s, want the next day", got)
			}
		})
	}
}

func TestDateOf(t *testing.T) {
	sh := loadZone(t, "Asia/Shanghai")
	instant := time.Date(2027, 2, 28, 16, 30, 0, 0, time.UTC)
	tests := []struct {
		loc  *time.Location
		want rules.Date
	}{
		{time.UTC, ymd(2027, time.February, 28)},
		{sh, ymd(2027, time.March, 1)},
	}
	for _, tc := range tests {
		if got := rules.DateOf(instant, tc.loc); got != tc.want {
			t.Errorf("DateOf(%v, %s) = %s, want %s", instant, tc.loc, got, tc.want)
		}
	}
}

func TestDateText(t *testing.T) {
	tests := []struct {
		in      string
		want    rules.Date
		wantErr bool
	}{
		{"2027-03-01", ymd(2027, time.March, 1), false},
		{"2028-02-29", ymd(2028, time.February, 29), false},
		{"2027-02-29", rules.Date{}, true}, // not a leap year
		{"2027-02-30", rules.Date{}, true},
		{"2027-13-01", rules.Date{}, true},
		{"2027-3-1", rules.Date{}, true},
		{"2027/03/01", rules.Date{}, true},
		{"27-03-01", rules.Date{}, true},
		{"2027-03-01T00:00:00Z", rules.Date{}, true},
		{" 2027-03-01", rules.Date{}, true},
		{"", rules.Date{}, true},
		{"三月一日", rules.Date{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			sentinel := ymd(1999, time.January, 2)
			got := sentinel
			err := got.UnmarshalText([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("UnmarshalText(%q) error = %v, wantErr %v", tc.in, err, tc.wantErr)
			}
			if tc.wantErr {
				if got != sentinel {
					t.Errorf("UnmarshalText(%q) changed the date to %s on error", tc.in, got)
				}
				return
			}
			if got != tc.want {
				t.Errorf("UnmarshalText(%q) = %s, want %s", tc.in, got, tc.want)
			}
			b, err := got.MarshalText()
			if err != nil || string(b) != tc.in {
				t.Errorf("MarshalText = %q, %v; want %q", b, err, tc.in)
			}
		})
	}
}

func TestDateFormatsAndOrder(t *testing.T) {
	d := ymd(2027, time.March, 1)
	if got, want := d.String(), "2027-03-01"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := d.Chinese(), "2027年3月1日"; got != want {
		t.Errorf("Chinese() = %q, want %q", got, want)
	}
	tests := []struct {
		a, b          rules.Date
		cmp           int
		before, after bool
	}{
		{ymd(2027, time.March, 1), ymd(2027, time.March, 1), 0, false, false},
		{ymd(2027, time.March, 1), ymd(2027, time.March, 2), -1, true, false},
		{ymd(2027, time.April, 1), ymd(2027, time.March, 31), 1, false, true},
		{ymd(2026, time.December, 31), ymd(2027, time.January, 1), -1, true, false},
	}
	for _, tc := range tests {
		if got := tc.a.Compare(tc.b); got != tc.cmp {
			t.Errorf("%s.Compare(%s) = %d, want %d", tc.a, tc.b, got, tc.cmp)
		}
		if got := tc.a.Before(tc.b); got != tc.before {
			t.Errorf("%s.Before(%s) = %v, want %v", tc.a, tc.b, got, tc.before)
		}
		if got := tc.a.After(tc.b); got != tc.after {
			t.Errorf("%s.After(%s) = %v, want %v", tc.a, tc.b, got, tc.after)
		}
	}
	if !(rules.Date{}).IsZero() || d.IsZero() {
		t.Error("IsZero wrong")
	}
}
