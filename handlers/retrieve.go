package handlers

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"dudaobot/rules"
)

// maxSupportingSent bounds 调阅 … 补充材料: the newest ones are sent.
const maxSupportingSent = 10

// retrieveUsage explains 调阅 after a wrong argument.
const retrieveUsage = "阶段可写：自查、整改方案、整改完成、补充材料；版本如“第2版”。例如“调阅 财政局 自查 第2版”。"

// retrieveAsk is what 调阅 asked for: a unit, optionally a stage and a
// version (0: the latest).
type retrieveAsk struct {
	unit    rules.Unit
	stage   rules.Stage // "": the latest version of every stage
	version int
}

// retrieve is 调阅 <单位> [阶段] [版本]: the stored files come back through
// the chat, so nobody needs the server to read what a unit sent. The
// director may read every unit; an official only their own (BOLA: another
// unit is refused before any of its data is read). The reply lists what is
// sent with each file's 校验码, then the files follow.
func (d *director) retrieve(ctx context.Context, r *Request) error {
	ask, err := d.parseRetrieve(r)
	if err != nil {
		return err
	}
	subs, err := d.store.Submissions(ctx, d.year, ask.unit.Key)
	if err != nil {
		return fmt.Errorf("handlers: submissions %s: %w", ask.unit.Key, err)
	}
	picked, err := pickRetrieved(ask, subs)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "已调阅%s的材料%d份，文件随后发送：", ask.unit.Name, len(picked))
	for _, s := range picked {
		fmt.Fprintf(&b, "\n· %s《%s》，%s收到，%s，校验码 %s",
			versionLabel(s), s.OriginalName, fmtTime(s.ReceivedAt, d.loc), fmtSize(s.Size), short12(s.SHA256))
	}
	if ask.stage == "" {
		if n := countStage(subs, rules.StageSupporting); n > 0 {
			fmt.Fprintf(&b, "\n另有补充材料%d份，发送“调阅 %s 补充材料”可调阅。", n, ask.unit.Name)
		}
	}
	msgs := []rules.Outgoing{d.replyMsg(r, b.String())}
	var sent []string
	for _, s := range picked {
		m := d.replyMsg(r, "")
		m.FilePath, m.FileName = s.StoredPath, s.OriginalName
		msgs = append(msgs, m)
		sent = append(sent, "R-"+strconv.FormatInt(s.ID, 10))
	}
	// Who read which file is kept, like every other access to a unit's data.
	if err := d.audit(ctx, r, "retrieve", ask.unit.Key, strings.Join(sent, ",")); err != nil {
		return err
	}
	// The files go out in this order, after the list: queued here, as 导出
	// does, because a reply would be written after them.
	if err := d.store.Enqueue(ctx, msgs...); err != nil {
		return fmt.Errorf("handlers: queue retrieved files: %w", err)
	}
	return nil
}

// parseRetrieve reads the unit, stage and version of 调阅. An official may
// leave out the unit (their own) and is refused any other.
func (d *director) parseRetrieve(r *Request) (retrieveAsk, error) {
	args := r.Args
	var ask retrieveAsk
	official := r.ID.Role != rules.RoleDirector
	if len(args) > 0 && (!official || !isStageOrVersion(args[0])) {
		m := MatchUnit(d.o.Units, args[0])
		if official {
			own := d.units[r.ID.UnitKey]
			if len(m) != 1 || m[0].Key != own.Key {
				return ask, userErr(ErrForbidden, "您只能调阅本单位（"+own.Name+"）的材料。发送“调阅”即可调阅本单位最新报送的材料。")
			}
		}
		u, err := d.resolveUnit(args[0])
		if err != nil {
			return ask, err
		}
		ask.unit, args = u, args[1:]
	}
	if ask.unit.Key == "" {
		if !official {
			return ask, userErr(ErrBadInput, "请写明要调阅的单位，如“调阅 财政局”（默认发送各阶段的最新版本）。"+retrieveUsage)
		}
		ask.unit = d.units[r.ID.UnitKey]
	}
	for _, a := range args {
		if s, ok := parseRetrieveStage(a); ok && ask.stage == "" {
			if s == rules.StageFeedback {
				return ask, userErr(ErrBadInput, "书面反馈意见是督导办发出的文件，不在调阅范围。"+retrieveUsage)
			}
			ask.stage = s
			continue
		}
		if v, ok := parseVersion(a); ok && ask.version == 0 {
			ask.version = v
			continue
		}
		return ask, userErr(ErrBadInput, "“"+clip(a, 12)+"”不是阶段或版本。"+retrieveUsage)
	}
	if ask.version > 0 && ask.stage == "" {
		return ask, userErr(ErrBadInput, "请同时写明阶段，如“调阅 "+ask.unit.Name+" 自查 第"+strconv.Itoa(ask.version)+"版”。")
	}
	return ask, nil
}

// pickRetrieved chooses the versions 调阅 sends: the latest of every stage
// by default, or the asked stage's latest or named version; supporting
// material is sent newest first, at most maxSupportingSent.
func pickRetrieved(ask retrieveAsk, subs []rules.Submission) ([]rules.Submission, error) {
	name := ask.unit.Name
	if ask.stage == "" {
		var out []rules.Submission
		for _, st := range rules.UnitStages {
			if s, ok := latestOf(subs, st); ok {
				out = append(out, s)
			}
		}
		if len(out) == 0 {
			if countStage(subs, rules.StageSupporting) > 0 {
				return nil, userErr(ErrBadInput, name+"今年只报送了补充材料，发送“调阅 "+name+" 补充材料”可调阅。")
			}
			return nil, userErr(ErrBadInput, name+"今年还没有报送材料。")
		}
		return out, nil
	}
	if ask.stage == rules.StageSupporting {
		var out []rules.Submission
		for i := len(subs) - 1; i >= 0 && len(out) < maxSupportingSent; i-- {
			if subs[i].Stage == rules.StageSupporting {
				out = append(out, subs[i])
			}
		}
		if len(out) == 0 {
			return nil, userErr(ErrBadInput, name+"今年没有补充材料。")
		}
		return out, nil
	}
	var versions []string
	for _, s := range subs {
		if s.Stage != ask.stage {
			continue
		}
		if ask.version == s.Version {
			return []rules.Submission{s}, nil
		}
		versions = append(versions, "第"+strconv.Itoa(s.Version)+"版")
	}
	if len(versions) == 0 {
		return nil, userErr(ErrBadInput, name+"尚未报送"+ask.stage.Label()+"。")
	}
	if ask.version == 0 {
		s, _ := latestOf(subs, ask.stage)
		return []rules.Submission{s}, nil
	}
	return nil, userErr(ErrBadInput, fmt.Sprintf("%s的%s只有%s，没有第%d版。", name, ask.stage.Label(), strings.Join(versions, "、"), ask.version))
}

// latestOf is the highest version of a stage (withdrawn versions are not
// listed by the store).
func latestOf(subs []rules.Submission, st rules.Stage) (rules.Submission, bool) {
	var best rules.Submission
	for _, s := range subs {
		if s.Stage == st && s.Version > best.Version {
			best = s
		}
	}
	return best, best.Version > 0
}

func countStage(subs []rules.Submission, st rules.Stage) int {
	n := 0
	for _, s := range subs {
		if s.Stage == st {
			n++
		}
	}
	return n
}

// versionLabel is 「自查自评报告第2版」 or 「补充材料」.
func versionLabel(s rules.Submission) string {
	if s.Stage == rules.StageSupporting {
		return "补充材料"
	}
	return s.Stage.Label() + "第" + strconv.Itoa(s.Version) + "版"
}

// parseRetrieveStage is parseStage plus 补充材料.
func parseRetrieveStage(a string) (rules.Stage, bool) {
	switch a {
	case "补充材料", "补充":
		return rules.StageSupporting, true
	}
	return parseStage(a)
}

// parseVersion reads 「2」「第2版」「2版」「v2」.
func parseVersion(a string) (int, bool) {
	a = strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(a), "v"), "第")
	a = strings.TrimSuffix(a, "版")
	n, err := strconv.Atoi(a)
	return n, err == nil && n > 0 && n < 1000
}

func isStageOrVersion(a string) bool {
	_, st := parseRetrieveStage(a)
	_, v := parseVersion(a)
	return st || v
}
