package rules

import (
	"encoding/json"
	"fmt"
	"strings"
)

// SavedReportCheck is the check of a unit's latest self-assessment report
// as it is kept (the state key ReportCheckKey): which version it read. A
// check of an older version than the unit's latest is not what counts.
type SavedReportCheck struct {
	SubmissionID int64       `json:"submission_id"`
	Version      int         `json:"version"`
	Check        ReportCheck `json:"check"`
}

// reportCheckKeyPrefix starts every saved check's state key.
const reportCheckKeyPrefix = "handlers:reportcheck:"

// ReportCheckKey is the state key of the saved check of a unit's latest
// self-assessment report of year.
func ReportCheckKey(year int, unitKey string) string {
	return fmt.Sprintf("%s%d:%s", reportCheckKeyPrefix, year, unitKey)
}

// ReportCheckKeyPrefix is the common start of the state keys of year's
// saved checks; the unit key follows it.
func ReportCheckKeyPrefix(year int) string { return fmt.Sprintf("%s%d:", reportCheckKeyPrefix, year) }

// DecodeReportCheck reads a saved check's stored value.
func DecodeReportCheck(value string) (SavedReportCheck, error) {
	var s SavedReportCheck
	if err := json.Unmarshal([]byte(value), &s); err != nil {
		return s, fmt.Errorf("rules: saved report check: %w", err)
	}
	return s, nil
}

// Encode is the saved check's stored value.
func (s SavedReportCheck) Encode() (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("rules: encode report check: %w", err)
	}
	return string(b), nil
}

// Current is the check when it read the unit's latest version of its
// self-assessment report (uy.Versions), and says what it found (the text
// was read): ok is false otherwise, so nothing is claimed about a newer
// version not yet checked, or a file that was not read.
func (s SavedReportCheck) Current(uy UnitYear) (ReportCheck, bool) {
	if s.Version == 0 || s.Version != uy.Versions[StageSelfAssessment] || s.Check.Unread != "" {
		return ReportCheck{}, false
	}
	return s.Check, true
}

// ReportGap is a unit whose latest report lacks parts or names another
// unit more often than itself.
type ReportGap struct {
	UnitKey   string
	Missing   []ReportPart
	OtherUnit string
}

// Short is the gap in a few words: 缺“存在的问题”, 疑为县教育和科学技术局的报告.
func (g ReportGap) Short() string {
	var out []string
	if len(g.Missing) > 0 {
		out = append(out, "缺"+QuotedParts(g.Missing))
	}
	if g.OtherUnit != "" {
		out = append(out, "疑为"+g.OtherUnit+"的报告")
	}
	return strings.Join(out, "，")
}

// QuotedParts names parts as “存在的问题”、“改进措施”.
func QuotedParts(ps []ReportPart) string {
	q := make([]string, len(ps))
	for i, p := range ps {
		q[i] = "“" + string(p) + "”"
	}
	return strings.Join(q, "、")
}

// ReportGaps lists, in roster order, the units whose current check (the
// latest version, read) lacks a part or names another unit.
func ReportGaps(units []Unit, years []UnitYear, checks map[string]SavedReportCheck) []ReportGap {
	if len(checks) == 0 {
		return nil
	}
	byKey := make(map[string]UnitYear, len(years))
	for _, y := range years {
		byKey[y.UnitKey] = y
	}
	var out []ReportGap
	for _, u := range units {
		s, ok := checks[u.Key]
		if !ok {
			continue
		}
		c, ok := s.Current(byKey[u.Key])
		if !ok || (len(c.MissingParts) == 0 && c.OtherUnit == "") {
			continue
		}
		out = append(out, ReportGap{UnitKey: u.Key, Missing: c.MissingParts, OtherUnit: c.OtherUnit})
	}
	return out
}
