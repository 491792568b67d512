package rules

import "time"

// StageCounts counts units per status for one stage.
type StageCounts struct {
	Stage   Stage
	OnTime  int
	Late    int
	Open    int // owed, deadline not passed
	Overdue int // owed, deadline passed
	NotOpen int
	// NotApplicable counts units the stage does not apply to this year
	// (不适用): never counted as owing it.
	NotApplicable int
	// Missing lists the keys of units that owe this stage now (open or
	// overdue), in roster order.
	Missing []string
}

// Overview is the director's 总览: counts per stage for all units.
func Overview(c Calendar, units []UnitYear, now time.Time) []StageCounts {
	out := make([]StageCounts, len(AllStages))
	for i, s := range AllStages {
		out[i].Stage = s
	}
	for _, u := range units {
		for i, st := range UnitStatus(c, u, now) {
			sc := &out[i]
			switch st.Kind {
			case StatusOnTime:
				sc.OnTime++
			case StatusLate:
				sc.Late++
			case StatusOpen:
				sc.Open++
				sc.Missing = append(sc.Missing, u.UnitKey)
			case StatusOverdue:
				sc.Overdue++
				sc.Missing = append(sc.Missing, u.UnitKey)
			case StatusNotApplicable:
				sc.NotApplicable++
			default:
				sc.NotOpen++
			}
		}
	}
	return out
}
