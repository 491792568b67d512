package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"dudaobot/bot"
	"dudaobot/rules"
)

// When the database cannot be written (disk full, a lock held by another
// program, PostgreSQL down), the WeChat client keeps retrying the message it
// holds and never advances its sync position, so nothing is lost — but
// nobody gets a receipt and nobody on site reads logs. So, like a WeChat
// outage: after wechat.outage_alert_after the office is e-mailed once, and
// when it works again the directors are told in chat for how long messages
// were held.

// onIntake is bot.Options.OnIntake: called on the sync goroutine, so it
// only hands the transition over.
func (a *App) onIntake(st bot.IntakeStatus) {
	select {
	case a.intakeCh <- st:
	default:
		a.Logger.Error("intake status queue full; dropping transition", slog.Bool("failing", st.Failing))
	}
}

// clockChanges is a clock that signals when it moves (clock.Fake): the
// alert is due by the injected clock, which a real timer alone would miss.
type clockChanges interface{ Changed() <-chan struct{} }

// watchIntake mails the office once the intake has been failing for
// outage_alert_after (by the injected clock), once per failure, and tells
// the directors when it recovered.
func (a *App) watchIntake(ctx context.Context) {
	after := a.Config.WeChat.OutageAlertAfter.Duration
	if after <= 0 {
		after = 30 * time.Minute
	}
	var failing *bot.IntakeStatus
	alerted := false
	for {
		var timer *time.Timer
		var fire <-chan time.Time
		var moved <-chan struct{}
		if failing != nil && !alerted {
			due := failing.Since.Add(after)
			left := due.Sub(a.Clock.Now())
			if left <= 0 {
				alerted = true
				a.mailDBOutage(ctx, *failing)
				continue
			}
			timer = time.NewTimer(left)
			fire = timer.C
			if c, ok := a.Clock.(clockChanges); ok {
				moved = c.Changed()
			}
		}
		select {
		case <-ctx.Done():
		case st := <-a.intakeCh:
			if st.Failing {
				failing, alerted = &st, false
			} else {
				a.dbBack(ctx, st, alerted)
				failing, alerted = nil, false
			}
		case <-fire:
		case <-moved:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// dbProblem names the failure class in plain Chinese and what to do about
// it; the driver's text (which may carry a DSN) is never shown.
func dbProblem(err error) (what, todo string) {
	switch {
	case errors.Is(err, rules.ErrDiskFull):
		return "磁盘已满", "请清理服务器磁盘空间（数据库和文件目录所在的磁盘）。"
	case errors.Is(err, rules.ErrStoreBusy):
		return "数据库被占用（另一个程序锁住了数据库）", "请关闭正在使用数据库文件的其他程序（如数据库查看工具、备份或拷贝脚本）。"
	case errors.Is(err, rules.ErrStoreUnavailable):
		return "数据库无法连接", "请检查数据库服务器是否在运行、网络是否连通。"
	}
	return "数据库写入出错", "请检查服务器磁盘空间和数据库服务，并查看运行日志。"
}

func (a *App) mailDBOutage(ctx context.Context, st bot.IntakeStatus) {
	what, todo := dbProblem(st.Err)
	a.Logger.Error("database cannot be written; alerting the office",
		slog.Time("since", st.Since), slog.String("class", what), slog.Any("err", st.Err))
	if a.mailer == nil {
		a.Logger.Warn("no smtp configured: the database alert is only logged")
		return
	}
	loc := a.Config.Location()
	subject := "督导机器人无法写入数据库"
	body := fmt.Sprintf("督导机器人自 %s 起无法写入数据库，已持续 %s。\n原因：%s。\n"+
		"这段时间各单位发来的消息暂存在微信一侧，不会丢失，但机器人无法保存和回复；恢复后会自动补收并补发回执，无需重新发送。\n"+
		"%s处理后无需重启机器人。\n",
		st.Since.In(loc).Format("2006-01-02 15:04"), humanDuration(a.Clock.Now().Sub(st.Since)), what, todo)
	if err := a.mailer.Mail(ctx, subject, body); err != nil {
		a.Logger.Error("database alert e-mail failed", slog.Any("err", err))
		return
	}
	a.Logger.Info("database alert e-mail sent")
}

// dbBack tells the directors that messages held while the database could
// not be written were taken in. A blip shorter than a minute that nobody
// was alerted about is only logged.
func (a *App) dbBack(ctx context.Context, st bot.IntakeStatus, alerted bool) {
	a.Logger.Info("database writable again", slog.Time("since", st.Since),
		slog.Duration("held", st.Held), slog.Int("messages", st.Messages))
	if st.Held < time.Minute && !alerted {
		return
	}
	loc := a.Config.Location()
	text := fmt.Sprintf("【系统通知】督导机器人已恢复保存消息。此前约 %s（自 %s 起）无法写入数据库，期间各单位发来的消息暂存在微信一侧，现已补收，回执陆续补发。",
		humanDuration(st.Held), st.Since.In(loc).Format("1月2日 15:04"))
	a.alertDirectors(ctx, fmt.Sprintf("dbback:%d", st.Since.UnixNano()), text, "the database-back notice")
}
