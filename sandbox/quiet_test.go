package sandbox_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestFastForwardKeepsQuietHours jumps to targets inside and at the edges
// of quiet hours (21:00–08:00), across reminder days: nothing the bot sends
// on the way or on arrival goes out inside them, to anyone.
func TestFastForwardKeepsQuietHours(t *testing.T) {
	t.Parallel()
	s := startSandbox(t, t.TempDir())
	defer s.Close()
	c := newClient(t, s)
	events := subscribe(t, s)
	var cs []contact
	c.get("api/contacts", &cs)
	var clk clockState
	sent := 0
	for _, d := range [][2]string{{"2027-01-28", "23:59"}, {"2027-02-14", "07:59"}, {"2027-02-22", "21:00"}, {"2027-03-02", "00:00"}, {"2027-03-10", "09:00"}, {"2027-03-12", "23:00"}} {
		c.postJSON("api/clock", map[string]string{"date": d[0], "time": d[1]}, http.StatusAccepted, &clk)
		waitEvent(t, events, "jumped")
	}
	for _, who := range cs {
		var msgs []message
		c.get("api/contacts/"+who.ID+"/messages", &msgs)
		for _, m := range msgs {
			hm := m.Time[strings.LastIndex(m.Time, " ")+1:]
			if m.From != "bot" {
				continue
			}
			sent++
			if hm < "08:00" || hm >= "21:00" {
				t.Errorf("sent to %s at %s, inside quiet hours: %q", who.Remark, m.Time, m.Text)
			}
		}
	}
	if sent < 28*5 {
		t.Errorf("%d messages sent on the way, want the reminders of five reminder days", sent)
	}
}
