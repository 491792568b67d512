package quotestyle

import (
	"regexp"
	"strings"
)

// internalCode matches the numbers reminders and digests once carried in
// their text (提醒编号：TX-20270222-czj-1, 汇总编号：RB-20270304). They are
// data now (the outbox row's Ref, logged by the relay as reminder_id or
// digest_id): no chat text shows them.
var internalCode = regexp.MustCompile(`提醒编号|汇总编号|\b(?:TX|RB)-\d{8}`)

// CheckCodes reports each line of a reply text that shows a reminder's or
// a digest's internal number.
func CheckCodes(file string, text []byte) []Finding {
	var out []Finding
	for i, line := range strings.Split(string(text), "\n") {
		if internalCode.MatchString(line) {
			out = append(out, Finding{File: file, Line: i + 1, Text: strings.TrimSpace(line),
				What: "internal reminder/digest number (it belongs in the log)"})
		}
	}
	return out
}
