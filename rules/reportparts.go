package rules

// ReportPart is one of the five parts a self-assessment report must have
// (the plan, §四.2: 基本情况、经验做法、工作成效、存在的问题和改进措施).
type ReportPart string

const (
	PartBasics       ReportPart = "基本情况"
	PartPractices    ReportPart = "经验做法"
	PartResults      ReportPart = "工作成效"
	PartProblems     ReportPart = "存在的问题"
	PartImprovements ReportPart = "改进措施"
)

// ReportParts are the five parts in the plan's order.
var ReportParts = []ReportPart{PartBasics, PartPractices, PartResults, PartProblems, PartImprovements}

// partSynonyms are the headings that count as each part: the plan's word
// first, then what county reports commonly write instead. This is the one
// table of them; a heading counts when, after its numbering (一、 （一） 1.
// 第一部分), it starts with one of these.
var partSynonyms = map[ReportPart][]string{
	PartBasics: {"基本情况", "总体情况", "基本概况", "工作概况", "概况", "工作开展情况", "自查情况", "工作情况"},
	PartPractices: {"经验做法", "主要做法", "经验和做法", "经验与做法", "做法和经验", "做法与经验", "工作做法",
		"主要措施", "工作措施", "具体做法", "典型经验", "特色做法", "主要工作", "工作举措", "履职情况"},
	PartResults: {"工作成效", "取得成效", "取得的成效", "主要成效", "取得的成绩", "主要成绩", "工作成绩",
		"工作成果", "取得成果", "成效", "成绩"},
	PartProblems: {"存在的问题", "存在问题", "问题与不足", "问题和不足", "存在的不足", "存在不足", "不足之处",
		"存在的困难和问题", "困难和问题", "困难与问题", "主要问题", "薄弱环节"},
	PartImprovements: {"改进措施", "整改措施", "下一步工作", "下一步打算", "下一步措施", "下步打算", "下一步工作打算",
		"下一步工作计划", "今后工作打算", "今后打算", "工作打算", "改进方向", "努力方向", "整改方向"},
}

// PartSynonyms returns the headings that count as part p.
func PartSynonyms(p ReportPart) []string { return append([]string(nil), partSynonyms[p]...) }
