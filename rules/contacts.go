package rules

// ContactLabels names every configured person, by WeChat remark, as people
// know them: the unit and the name (县财政局 张三), the unit and 联系人
// when the config has no name (县财政局联系人), 督导办 and the name for a
// director, 督学 and the name for an inspector. The remark is the office's
// label on the bot's account, an internal key: a chat text names a person
// by this label, never by the remark.
func ContactLabels(units []Unit, directors []Director, inspectors []Inspector) map[string]string {
	out := map[string]string{}
	label := func(remark, where, name string) {
		if remark == "" {
			return
		}
		if name == "" {
			out[remark] = where + "联系人"
			return
		}
		out[remark] = where + " " + name
	}
	for _, u := range units {
		for _, o := range u.Officials {
			label(o.WeChatRemark, u.Name, o.Name)
		}
		if u.Backup != nil {
			label(u.Backup.WeChatRemark, u.Name, u.Backup.Name)
		}
	}
	for _, p := range inspectors {
		label(p.WeChatRemark, "督学", p.Name)
	}
	for _, d := range directors {
		label(d.WeChatRemark, "督导办", d.Name)
	}
	return out
}

// ContactLabel is the label of remark in labels, or "联系人" for a remark
// the roster no longer has: never the remark itself.
func ContactLabel(labels map[string]string, remark string) string {
	if l, ok := labels[remark]; ok {
		return l
	}
	return "联系人"
}
