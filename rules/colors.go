package rules

// StatusColor is what a status cell's colour says. The 总览 board and the
// printed ledger both colour a status by it, so they always agree.
type StatusColor int

const (
	ColorNotDue        StatusColor = iota // 未到期 (owed, time left; or not open yet): grey
	ColorOnTime                           // 按时: green
	ColorLate                             // 逾期提交: yellow
	ColorOverdue                          // 逾期未交: red
	ColorNotApplicable                    // 不适用: white
	NumStatusColors
)

// ColorOf is the colour of a stage status.
func ColorOf(k StatusKind) StatusColor {
	switch k {
	case StatusOnTime:
		return ColorOnTime
	case StatusLate:
		return ColorLate
	case StatusOverdue:
		return ColorOverdue
	case StatusNotApplicable:
		return ColorNotApplicable
	}
	return ColorNotDue
}

// statusRGB is the one definition of the colours, indexed by StatusColor.
var statusRGB = [NumStatusColors][3]uint8{
	ColorNotDue:        {0xd9, 0xd9, 0xd9},
	ColorOnTime:        {0x8f, 0xd1, 0x9e},
	ColorLate:          {0xff, 0xe0, 0x82},
	ColorOverdue:       {0xf2, 0x8b, 0x82},
	ColorNotApplicable: {0xff, 0xff, 0xff},
}

// RGB is the colour's red, green and blue.
func (c StatusColor) RGB() (r, g, b uint8) {
	v := statusRGB[c]
	return v[0], v[1], v[2]
}

// Grade colours of the 评分 cells (总览's picture): the best band green, the
// lowest red, the band after the best blue and any other yellow; a unit
// scored but not yet graded grey, a unit not scored white.
var (
	gradeBest    = [3]uint8{0x8f, 0xd1, 0x9e}
	gradeSecond  = [3]uint8{0xa8, 0xc8, 0xf0}
	gradeMiddle  = [3]uint8{0xff, 0xe0, 0x82}
	gradeLowest  = [3]uint8{0xf2, 0x8b, 0x82}
	gradeNone    = statusRGB[ColorNotDue]
	gradeNoScore = statusRGB[ColorNotApplicable]
)

// GradeRGB is the colour of a unit's 评分 cell: by the band of its grade
// (r.Graded), grey while scores are missing, white when the unit is not
// scored at all (scored false).
func (m ScoringModel) GradeRGB(r UnitResult, scored bool) (red, green, blue uint8) {
	v := gradeNoScore
	if scored {
		v = gradeNone
	}
	if r.Graded {
		for i, b := range m.Bands {
			if b.Grade != r.Grade {
				continue
			}
			switch {
			case i == 0:
				v = gradeBest
			case i == len(m.Bands)-1:
				v = gradeLowest
			case i == 1:
				v = gradeSecond
			default:
				v = gradeMiddle
			}
			break
		}
	}
	return v[0], v[1], v[2]
}
