package rules

import (
	"fmt"
	"slices"
	"strings"
)

// The use of results (结果运用, 方案第六节): units graded 优秀 are proposed for
// commendation; units graded 不合格 are listed; units that rectify badly or
// are repeatedly late are proposed for a talk or a notice (约谈/通报), and such
// units lose their eligibility for awards (取消……评优……资格), so they are not
// proposed for commendation even when graded 优秀.

// ResultAction is what the result list proposes for a unit.
type ResultAction string

const (
	ActionCommend   ResultAction = "表彰建议"
	ActionFail      ResultAction = "不合格"
	ActionInterview ResultAction = "约谈/通报建议"
)

// ResultActions in the order the list shows them.
var ResultActions = []ResultAction{ActionCommend, ActionFail, ActionInterview}

// OverdueItem is a rectification item past its due date and not done (the
// problem list's items; issue 14). Days is how many days overdue.
type OverdueItem struct {
	UnitKey string
	Title   string
	Due     Date
	Days    int
}

// ResultListInput is everything the result list is drawn from: the
// computed results, each unit's stage statuses at the moment the list is
// made (UnitStatus), and overdue rectification items.
type ResultListInput struct {
	Model        ScoringModel
	Results      []UnitResult
	Stages       map[string][]StageStatus
	OverdueItems []OverdueItem
}

// ResultEntry is one unit on the result list with the reasons, each drawn
// from the records.
type ResultEntry struct {
	Action  ResultAction
	UnitKey string
	Reasons []string
}

// BuildResultList draws up the 结果清单: 表彰建议 (graded 优秀, best first), 不合格
// (worst last, in rank order), 约谈/通报建议 (in the order of the results).
//
// 约谈/通报建议 is proposed for a unit with any overdue rectification (an
// overdue item, an overdue 整改方案 or 整改完成情况, or one handed in late) or
// with RepeatedLateness or more stages handed in late or still overdue
// (多次逾期).
func BuildResultList(in ResultListInput) []ResultEntry {
	interview := map[string][]string{}
	for _, r := range in.Results {
		if reasons := conductReasons(in, r.UnitKey); len(reasons) > 0 {
			interview[r.UnitKey] = reasons
		}
	}
	var out []ResultEntry
	for _, r := range ByRank(in.Results) {
		if !r.Graded || r.Grade != GradeExcellent || interview[r.UnitKey] != nil {
			continue
		}
		out = append(out, ResultEntry{Action: ActionCommend, UnitKey: r.UnitKey,
			Reasons: []string{scoreReason(r)}})
	}
	for _, r := range ByRank(in.Results) {
		if !r.Graded || r.Grade != GradeFail {
			continue
		}
		out = append(out, ResultEntry{Action: ActionFail, UnitKey: r.UnitKey,
			Reasons: []string{scoreReason(r) + fmt.Sprintf("，低于%s分", passLine(in.Model))}})
	}
	for _, r := range in.Results {
		reasons := interview[r.UnitKey]
		if reasons == nil {
			continue
		}
		if r.Graded && r.Grade == GradeExcellent {
			reasons = append(slices.Clone(reasons), "等级为优秀，但被约谈、通报的单位取消评优资格，未列入表彰建议")
		}
		out = append(out, ResultEntry{Action: ActionInterview, UnitKey: r.UnitKey, Reasons: reasons})
	}
	return out
}

// passLine is the lowest total that is not 不合格 (the band above it).
func passLine(m ScoringModel) string {
	for i, b := range m.Bands {
		if b.Grade == GradeFail && i > 0 {
			return m.Bands[i-1].Min.String()
		}
	}
	return "60"
}

func scoreReason(r UnitResult) string {
	parts := make([]string, 0, 2)
	for _, s := range []ScoreSource{SourceInspection, SourceSelf} {
		if sr := r.Source(s); sr.Complete {
			parts = append(parts, s.Label()+sr.Total.String())
		}
	}
	return fmt.Sprintf("加权总分%s（%s），等级%s，排名第%d", r.Weighted, strings.Join(parts, "，"), r.Grade, r.Rank)
}

// conductReasons lists a unit's overdue rectification and, when they are
// RepeatedLateness or more, its late or overdue stages.
func conductReasons(in ResultListInput, unitKey string) []string {
	var rect, late []string
	for _, it := range in.OverdueItems {
		if it.UnitKey == unitKey {
			rect = append(rect, fmt.Sprintf("整改事项“%s”已逾期%d天（期限%s）", it.Title, max(it.Days, 1), it.Due.Chinese()))
		}
	}
	for _, st := range in.Stages[unitKey] {
		if st.Stage == StageFeedback {
			continue // the office's own obligation
		}
		var text string
		switch st.Kind {
		case StatusLate:
			text = fmt.Sprintf("%s逾期%d天报送", st.Stage.Label(), max(st.Days, 1))
		case StatusOverdue:
			text = fmt.Sprintf("%s已逾期%d天未报送", st.Stage.Label(), max(st.Days, 1))
		default:
			continue
		}
		late = append(late, text)
		if st.Stage == StageRectificationPlan || st.Stage == StageRectificationDone {
			rect = append(rect, "整改不力："+text)
		}
	}
	repeat := in.Model.RepeatedLateness
	if repeat <= 0 {
		repeat = 2
	}
	if len(late) >= repeat {
		// The late stages are joined with “、”: “；” separates the reasons.
		return append(rect, fmt.Sprintf("多次逾期（%d项）：%s", len(late), strings.Join(late, "、")))
	}
	return rect
}
