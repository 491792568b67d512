package storage

import (
	"testing"
)

// TestScanCols: scanCols converts what the drivers return (string and
// int64, SQLite's 0/1 booleans, PostgreSQL's bool, NULL) directly, and
// anything else as database/sql's Null types would, with their errors.
func TestScanCols(t *testing.T) {
	var (
		s1, s2, s3 string
		i1, i2, i3 int64
		n          int
		b1, b2, b3 bool
	)
	cols := []any{"u1", []byte("季度"), nil, int64(7), nil, "42", int64(3), int64(1), true, nil}
	if err := scanCols(cols, &s1, &s2, &s3, &i1, &i2, &i3, &n, &b1, &b2, &b3); err != nil {
		t.Fatal(err)
	}
	if s1 != "u1" || s2 != "季度" || s3 != "" || i1 != 7 || i2 != 0 || i3 != 42 || n != 3 || !b1 || !b2 || b3 {
		t.Fatalf("got %q %q %q %d %d %d %d %v %v %v", s1, s2, s3, i1, i2, i3, n, b1, b2, b3)
	}
	for _, c := range []struct {
		col any
		dst any
	}{
		{int64(2), &b1},       // not a boolean
		{"x", &i1},            // not a number
		{3.5, &i1},            // not an integer
		{int64(1), new(int8)}, // a type scanCols does not fill
	} {
		if err := scanCols([]any{c.col}, c.dst); err == nil {
			t.Errorf("%#v into %T: no error", c.col, c.dst)
		}
	}
}
