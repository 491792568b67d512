package sandbox_test

import (
	"testing"
	"time"

	"dudaobot/sandbox"
)

// Ensure downloads keep their Chinese names: an ASCII fallback plus the
// RFC 5987 filename* that browsers prefer.
func TestContentDisposition(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"2027年督导评价台账.xlsx", `attachment; filename="2027_______.xlsx"; filename*=UTF-8''2027%E5%B9%B4%E7%9D%A3%E5%AF%BC%E8%AF%84%E4%BB%B7%E5%8F%B0%E8%B4%A6.xlsx`},
		{`a "b"\c.pdf`, `attachment; filename="a _b__c.pdf"; filename*=UTF-8''a%20%22b%22%5Cc.pdf`},
		{"plain-name_1.docx", `attachment; filename="plain-name_1.docx"; filename*=UTF-8''plain-name_1.docx`},
	} {
		if got := sandbox.ContentDisposition(c.name); got != c.want {
			t.Errorf("%q:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

// Ensure sweeps run at least once per simulated hour at any speed, and at
// most 20 times a second.
func TestSweepInterval(t *testing.T) {
	for _, c := range []struct {
		speed float64
		want  time.Duration
	}{{0, time.Second}, {1, time.Second}, {3600, time.Second}, {7200, 500 * time.Millisecond}, {86400, 50 * time.Millisecond}} {
		if got := sandbox.SweepInterval(c.speed); got != c.want {
			t.Errorf("speed %v: %v, want %v", c.speed, got, c.want)
		}
	}
}
