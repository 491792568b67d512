package rules

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrUnknownStage is returned by ParseStages for a name that is not a
// stage of the compliance table.
var ErrUnknownStage = errors.New("rules: unknown stage")

// ErrStagesContradict is returned by ParseStages for a list whose
// rectification stages have no feedback before them.
var ErrStagesContradict = errors.New("rules: rectification stages without feedback")

// Inspected is the year's set of inspected units (受检单位) as the director
// marked it. Until it is marked every unit whose config allows feedback
// counts as inspected: the plan sends feedback to inspected units, and
// before the director names them nobody has been left out.
type Inspected struct {
	Marked bool
	Units  map[string]bool
}

// NewInspected is a marked set of the given unit keys.
func NewInspected(keys []string) Inspected {
	in := Inspected{Marked: true, Units: make(map[string]bool, len(keys))}
	for _, k := range keys {
		in.Units[k] = true
	}
	return in
}

// Has reports whether the unit counts as inspected this year.
func (in Inspected) Has(unitKey string) bool { return !in.Marked || in.Units[unitKey] }

// configStage reports whether the unit's config includes stage s.
func (u Unit) configStage(s Stage) bool { return u.Stages == nil || slices.Contains(u.Stages, s) }

// StageApplies says whether stage s applies to unit u this year: the
// config's stages for the unit, and for feedback the year's inspected set.
// Rectification follows feedback: a unit that gets no feedback has nothing
// to rectify. Supporting material always applies.
func StageApplies(u Unit, in Inspected, s Stage) bool {
	switch s {
	case StageSupporting:
		return true
	case StageFeedback:
		return u.configStage(StageFeedback) && in.Has(u.Key)
	case StageRectificationPlan, StageRectificationDone:
		return u.configStage(s) && StageApplies(u, in, StageFeedback)
	}
	return u.configStage(s)
}

// NotApplicableStages is the UnitYear.NotApplicable of unit u: the stages
// of AllStages that do not apply this year; nil when all apply.
func NotApplicableStages(u Unit, in Inspected) map[Stage]bool {
	var out map[Stage]bool
	for _, s := range AllStages {
		if !StageApplies(u, in, s) {
			if out == nil {
				out = make(map[Stage]bool, len(AllStages))
			}
			out[s] = true
		}
	}
	return out
}

// ParseStages checks a unit's configured stage list: every name a stage of
// AllStages, none twice, and rectification only together with feedback.
// The result is in AllStages order.
func ParseStages(names []string) ([]Stage, error) {
	seen := map[Stage]bool{}
	for _, n := range names {
		s := Stage(strings.TrimSpace(n))
		if !slices.Contains(AllStages, s) {
			return nil, fmt.Errorf("%w %q", ErrUnknownStage, n)
		}
		seen[s] = true
	}
	if !seen[StageFeedback] && (seen[StageRectificationPlan] || seen[StageRectificationDone]) {
		return nil, ErrStagesContradict
	}
	out := make([]Stage, 0, len(seen))
	for _, s := range AllStages {
		if seen[s] {
			out = append(out, s)
		}
	}
	return out, nil
}
