package handlers

import (
	"context"
	"fmt"
	"log/slog"

	"dudaobot/rules"
)

// Refusals of the file limits (also in SECURITY.md).
const (
	textDiskFull      = "服务器存储空间不足，文件暂时无法保存，已通知督导办处理。请稍后重新发送；文字消息不受影响。"
	textDiskFullAlert = "【系统通知】服务器存储空间不足（剩余空间低于保留值 files.min_free_bytes），各单位发来的文件暂时无法保存；文字命令照常可用。请尽快清理服务器磁盘或扩容，恢复后请通知相关单位重新发送文件。"
)

// unitBytesToday is what a unit's people stored today (in the configured
// zone): the sizes of its submissions received since midnight, withdrawn
// ones included (their files stay on disk).
func (d *receiver) unitBytesToday(ctx context.Context, unitKey string) (int64, error) {
	subs, err := d.store.Submissions(ctx, d.year, unitKey)
	if err != nil {
		return 0, fmt.Errorf("handlers: quota of %s: %w", unitKey, err)
	}
	today := rules.DateOf(d.clock.Now(), d.loc)
	var n int64
	for _, s := range subs {
		if !s.IsText && rules.DateOf(s.ReceivedAt, d.loc) == today {
			n += s.Size
		}
	}
	return n, nil
}

// quotaOptions sets the daily allowance of an official's unit on o; a
// director's files (feedback, notices) are the office's own and not
// counted. It returns the bytes used today.
func (d *receiver) quotaOptions(ctx context.Context, r *Request, o *PutOptions) (int64, error) {
	if d.o.UnitDailyBytes <= 0 || r.ID.UnitKey == "" || r.ID.Role == rules.RoleDirector {
		return 0, nil
	}
	used, err := d.unitBytesToday(ctx, r.ID.UnitKey)
	if err != nil {
		return 0, err
	}
	o.Quota, o.QuotaLeft = true, d.o.UnitDailyBytes-used
	return used, nil
}

func (d *receiver) overQuota(used int64) error {
	return userErr(ErrFileRefused, fmt.Sprintf("贵单位今天已发送文件共%s，每个单位每天最多接收%s，本文件未保存。请明天再发送；如确有急需，请与督导办联系。",
		fmtSize(used), fmtSize(d.o.UnitDailyBytes)))
}

// diskFull tells the directors once a day that files cannot be stored (the
// outbox drops a second row with the same key) and the sender that the
// file was not saved.
func (d *receiver) diskFull(ctx context.Context, r *Request, cause error) error {
	d.log.Error("file refused: disk full", slog.String("msg_id", r.In.Key.MsgID), slog.Any("err", cause))
	day := rules.DateOf(d.clock.Now(), d.loc)
	var outs []rules.Outgoing
	for _, dir := range d.o.Directors {
		outs = append(outs, rules.Outgoing{
			Key: "disk-full:" + day.String() + ":" + dir.WeChatRemark, Kind: "alert",
			To: rules.Recipient{Remark: dir.WeChatRemark}, Text: textDiskFullAlert, CreatedAt: d.clock.Now(),
		})
	}
	if err := d.store.Enqueue(ctx, outs...); err != nil {
		d.log.Error("disk-full alert not queued", slog.Any("err", err))
	}
	return userErr(ErrFileRefused, textDiskFull)
}

func (d *receiver) archiveTooLarge(name string) error {
	return userErr(ErrFileRefused, fmt.Sprintf("文件《%s》内部包含的条目过多（超过%d个），不像正常的文档，未能保存。请确认文件无误，或另存为PDF后重新发送。",
		name, d.files.MaxArchiveEntries()))
}
