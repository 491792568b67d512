package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"dudaobot/rules"

	"gopkg.in/yaml.v3"
)

// The custom scalar types below report a bad value as a *yaml.TypeError, not
// a plain error: yaml.v3 aborts the whole decode on a plain error (so every
// other problem in the file would go unreported, and without a line number),
// while TypeErrors are collected and decoding goes on. The message format
// "line N: invalid KIND "VALUE": DETAIL" is parsed back by yamlerr.go.

func invalid(n *yaml.Node, kind string, detail string) error {
	return &yaml.TypeError{Errors: []string{
		fmt.Sprintf("line %d: invalid %s %q: %s", n.Line, kind, n.Value, detail)}}
}

// Duration is a time.Duration written in YAML as a Go duration string:
// "3s", "30m", "6h".
type Duration struct{ time.Duration }

// UnmarshalYAML parses the scalar with time.ParseDuration.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return invalid(n, "duration", "not a single value")
	}
	v, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if err != nil {
		return invalid(n, "duration", "use a number with a unit, e.g. 3s, 30m, 6h")
	}
	d.Duration = v
	return nil
}

// MarshalYAML writes the duration as "3s".
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// Date is a civil date written YYYY-MM-DD. Unquoted, YAML resolves such a
// scalar as a !!timestamp; quoted, as a !!str. Both are read from the
// node's text, so both work.
type Date struct{ rules.Date }

// UnmarshalYAML parses the scalar's text as YYYY-MM-DD.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return invalid(n, "date", "not a single value")
	}
	s := strings.TrimSpace(n.Value)
	if s == "" || n.Tag == "!!null" {
		d.Date = rules.Date{}
		return nil
	}
	p, err := rules.ParseDate(s)
	if err != nil || len(s) != len("2006-01-02") {
		return invalid(n, "date", "want YYYY-MM-DD, e.g. 2027-03-01")
	}
	d.Date = p
	return nil
}

// MarshalYAML writes the date as 2006-01-02.
func (d Date) MarshalYAML() (any, error) { return d.String(), nil }

// ClockTime is a time of day in minutes after midnight, written "HH:MM".
type ClockTime int

// ParseClockTime parses "HH:MM" (or "H:MM"), 00:00–23:59.
func ParseClockTime(s string) (ClockTime, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 {
		return 0, fmt.Errorf("config: time of day %q: want HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 ||
		h[0] == '+' || h[0] == '-' || m[0] == '+' || m[0] == '-' {
		return 0, fmt.Errorf("config: time of day %q: want HH:MM", s)
	}
	return ClockTime(hh*60 + mm), nil
}

// UnmarshalYAML parses the scalar as HH:MM.
func (c *ClockTime) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return invalid(n, "time of day", "not a single value")
	}
	v, err := ParseClockTime(n.Value)
	if err != nil {
		return invalid(n, "time of day", "want HH:MM, e.g. 21:00")
	}
	*c = v
	return nil
}

// MarshalYAML writes the time as "21:00".
func (c ClockTime) MarshalYAML() (any, error) { return c.String(), nil }

// Minutes is the number of minutes after midnight.
func (c ClockTime) Minutes() int { return int(c) }

// Valid reports whether c is within 00:00–23:59.
func (c ClockTime) Valid() bool { return c >= 0 && c < 24*60 }

// String formats c as HH:MM.
func (c ClockTime) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }
