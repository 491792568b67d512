package rules_test

import (
	"slices"
	"testing"

	"dudaobot/rules"
)

func TestUnitsNamedIn(t *testing.T) {
	units := []rules.Unit{
		{Key: "xwb", Name: "县委办公室", Aliases: []string{"县委办", "县委办公室", "党委办公室"}},
		{Key: "bb", Name: "县委编办", Aliases: []string{"编办", "县委编办"}},
		{Key: "gaj", Name: "县公安局", Aliases: []string{"公安局", "县公安局", "公安"}},
		{Key: "czj", Name: "县财政局", Aliases: []string{"财政局", "县财政局", "财政"}},
		{Key: "wjw", Name: "县卫健委", Aliases: []string{"卫健委", "县卫健委", "卫生健康委员会"}},
	}
	for _, tc := range []struct {
		name, file, own string
		want            []string
	}{
		{"the observed case", "关于县财政局履行教育职责情况的书面反馈意见.docx", "gaj", []string{"czj"}},
		{"own name only", "县公安局2026年度自查自评报告.docx", "gaj", nil},
		{"an alias of three characters", "卫健委自查报告.pdf", "czj", []string{"wjw"}},
		{"a short alias that ends like a unit", "编办报告.docx", "czj", []string{"bb"}},
		{"a short alias that is an ordinary word", "教育经费财政投入情况.docx", "gaj", nil},
		{"two other units", "县财政局与县卫健委联合报告.docx", "gaj", []string{"czj", "wjw"}},
		{"own long name holds another's alias", "党委办公室工作报告.docx", "xwb", nil},
		{"no unit at all", "自查自评报告（终稿）.docx", "gaj", nil},
		{"the director's own file (no unit)", "县财政局书面反馈意见.pdf", "", []string{"czj"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, u := range rules.UnitsNamedIn(tc.file, units, tc.own) {
				got = append(got, u.Key)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("UnitsNamedIn(%q, own %q) = %v, want %v", tc.file, tc.own, got, tc.want)
			}
		})
	}
}

func TestContactLabels(t *testing.T) {
	units := []rules.Unit{
		{Key: "czj", Name: "县财政局", Officials: []rules.Official{{Name: "张三", WeChatRemark: "督导-财政局"}, {WeChatRemark: "督导-财政局2"}},
			Backup: &rules.Official{Name: "李四", WeChatRemark: "督导-财政局-备"}},
		{Key: "gaj", Name: "县公安局", Officials: []rules.Official{{Name: "王五"}}}, // no remark: nobody to name
	}
	labels := rules.ContactLabels(units, []rules.Director{{Name: "赵主任", WeChatRemark: "督导办主任"}},
		[]rules.Inspector{{Name: "钱督学", WeChatRemark: "督学-钱"}})
	for _, tc := range []struct{ remark, want string }{
		{"督导-财政局", "县财政局 张三"},
		{"督导-财政局2", "县财政局联系人"},
		{"督导-财政局-备", "县财政局 李四"},
		{"督导办主任", "督导办 赵主任"},
		{"督学-钱", "督学 钱督学"},
		{"督导-已删除", "联系人"},
	} {
		if got := rules.ContactLabel(labels, tc.remark); got != tc.want {
			t.Errorf("ContactLabel(%q) = %q, want %q", tc.remark, got, tc.want)
		}
	}
	if len(labels) != 5 {
		t.Errorf("labels %v, want the 5 people with a remark", labels)
	}
}
