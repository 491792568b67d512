package handlers

import (
	"fmt"
	"strings"
	"time"

	"dudaobot/rules"
)

// Fixed reply texts. Every reply is short, polite and says what to do.
const (
	textStranger = "您好，您的微信尚未在县督导办登记，机器人暂时无法为您办理。" +
		"如您是责任单位联系人，请联系县督导办设置备注名，或发送“绑定 绑定码”。"
	textUnsupported = "暂不支持此类消息，请发送文件或文字。发送“帮助”可查看可用的命令。"
	textDownload    = "文件接收失败，请重新发送。"
	// textInspectorOnly answers an inspector's anything but the 评分表.
	textInspectorOnly = "督学可以发送“评分表”领取空白评分表，填好后把.xlsx文件发给机器人。发送“帮助”查看说明。"
)

// helpInspector is 帮助 for an inspector (督学).
const helpInspector = `您好，督学同志。您可以：
· 发送“评分表”领取空白评分表（每个单位一页）
· 把填好的评分表（.xlsx）直接发给机器人：逐格检查后显示汇总，回复“确认”才登记
· 只填要评的格；已登记的分数只被新表中填写的格替换
· 帮助：显示本说明`

// helpOfficial is 帮助 for an official; %s is the unit's name.
const helpOfficial = `您好，%s的同志。您可以：
· 直接发送文件：报送自查自评报告、整改方案等材料，机器人自动判断阶段并回执
· 整改方案 方案全文：以文字报送整改方案（不少于50字，预览后回复“确认”）
· 整改措施 + 逐行“1. 措施：……；时限：6月30日”：逐项报送问题清单的整改措施
· 整改完成 序号 整改情况：报告某项问题已整改完成；照片或文件作佐证时，10分钟内先后发送“整改完成 序号”和照片均可
· 撤回：撤回本人30分钟内报送的最近一份材料
· 状态：查看本单位各阶段截止时间和报送情况
· 检查详情：查看本单位自查自评报告的内容检查结果
· 调阅：取回本单位报送的文件（可加阶段和版本，如“调阅 自查 第2版”）
· 收到：确认收到督导办的全部通知和反馈意见
· 自评表：领取本单位的自评表，填好自评分后把文件发回，回复“确认”即登记
· 成绩：成绩发布后查看本单位的总分、等级和各项得分
· 帮助：显示本说明`

// helpDirector is 帮助 for a director.
const helpDirector = `您好，主任。可用命令：
· 总览（或 状态）：各阶段按时、逾期、未交、未开始的单位数和未交单位，附总览图
· 查询 单位：某单位的全部记录（单位可写简称，如“查询 财政”）
· 检查详情 单位：该单位最新自查自评报告的内容检查结果
· 调阅 单位名：把该单位报送的文件发回这里，默认各阶段最新版本（可加阶段和版本，如“调阅 财政局 自查 第2版”）
· 未交 阶段名（可不填）：未交单位名单（阶段：自查、反馈、整改方案、整改完成）
· 逾期：已逾期未交和逾期提交的单位
· 催办 单位名（或 催办 全部）：立即提醒未交单位的联系人
· 督导结束 日期：登记实地督导结束日期（如“督导结束 4月30日”）
· 反馈 单位：配合文件（10分钟内先后发送均可）向该单位下达书面反馈意见
· 整改期限 单位 日期：设定整改完成期限
· 问题清单 单位 + 逐行“1. 问题”：登记该单位问题清单（预览后确认，随反馈送达）
· 销号 / 退回 / 延期 单位名 序号（退回、延期再写新时限和原因）：核实整改事项
· 整改逾期 / 整改台账：逾期整改事项；整改台账（Excel）
· 跟踪检查 单位名（可加日期和检查情况）：登记对该单位整改落实情况的跟踪检查（先发的文件作为检查记录）
· 下发 文字：向全部单位下发通知；只发“下发”后再发文件则下发文件
· 确认 / 取消：下发、反馈、督导结束、整改期限均先预览，10分钟内回复“确认”才执行
· 未回复：最近一次下发后尚未回复“收到”的单位
· 受检单位（可接单位名，用空格分开）：查看或登记今年的受检单位（书面反馈意见只送受检单位）
· 绑定列表 / 解绑 备注名：查看或解除用绑定码登记的联系人
· 成绩：各单位自评、督导评价、加权总分、等级和排名；成绩 单位名：查看某单位各项得分
· 评分表：领取空白评分表，填好后发回；自评表 单位名：领取该单位的自评表
· 发布成绩：预览后确认，各单位联系人即可用“成绩”查看本单位成绩
· 结果清单：表彰建议、不合格单位和约谈/通报建议，附理由
· 导出：导出年度督导台账（Excel）
· 报告：生成年度督导评估报告草稿（Word）`

// fmtTime formats an instant as 2027年2月20日 10:15 in the zone.
func fmtTime(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return fmt.Sprintf("%d年%d月%d日 %02d:%02d", t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute())
}

// fmtSize formats a byte count for people, in KB or MB (never bytes: a
// number of 字节 reads like an internal code on a phone).
func fmtSize(n int64) string {
	const kb, mb = 1024, 1024 * 1024
	switch {
	case n < 10*kb:
		// At least 0.1 KB: a small file is never shown as 0 KB.
		return fmt.Sprintf("%.1f KB", max(float64(n)/kb, 0.1))
	case n < mb:
		return fmt.Sprintf("%d KB", (n+kb/2)/kb)
	case n%mb == 0:
		return fmt.Sprintf("%d MB", n/mb)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/mb)
}

// short12 is the first 12 hex digits of a SHA-256, enough to compare by eye.
func short12(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// statusLine describes one stage of one unit for 状态 and 查询. Every line
// must be true on the day it is shown: a date promised by the office that
// has passed is said to be missed, never promised again.
func statusLine(st rules.StageStatus, cal rules.Calendar) string {
	var b strings.Builder
	d := st.Deadline
	if st.Kind == rules.StatusNotApplicable {
		if st.Stage == rules.StageFeedback {
			return "书面反馈意见：不适用（本单位今年不是受检单位）"
		}
		return st.Stage.Label() + "：不适用"
	}
	if st.Stage == rules.StageFeedback {
		// The office's own obligation, seen from the unit.
		switch {
		case st.Kind.Submitted():
			return "书面反馈意见：督导办已于" + fmtTime(st.SubmittedAt, cal.Location) + "送达"
		case st.Kind == rules.StatusOverdue:
			return "书面反馈意见：督导办尚未送达（应于" + d.DueDate.Chinese() + "前）"
		case d.Open:
			return "书面反馈意见：督导办将于" + d.DueDate.Chinese() + "前送达"
		}
		return "书面反馈意见：尚未送达"
	}
	b.WriteString(st.Stage.Label())
	b.WriteString("：")
	switch {
	case d.Open:
		b.WriteString("截止" + d.DueDate.Chinese() + "；")
	case st.Stage == rules.StageRectificationPlan:
		fmt.Fprintf(&b, "收到反馈意见后%d天内；", cal.RectificationPlanDays)
	case st.Stage == rules.StageRectificationDone:
		b.WriteString("期限未设定；")
	}
	b.WriteString(st.Text())
	if st.Versions > 0 && st.Stage != rules.StageFeedback {
		fmt.Fprintf(&b, "（共%d版）", st.Versions)
	}
	return b.String()
}

// choiceText asks which stage a file is for.
func choiceText(stages []rules.Stage) string {
	parts := make([]string, len(stages))
	for i, s := range stages {
		parts[i] = fmt.Sprintf("%d %s", i+1, s.Label())
	}
	return "文件已安全保存。请问这份文件是哪项材料？请回复 " + strings.Join(parts, " / ") + "。"
}
