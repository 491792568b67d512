package app

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"dudaobot/rules"
)

// TestDBProblem: each class of write failure is named in plain Chinese with
// what to do, read from the rules' named errors through any wrapping; the
// driver's text (it may carry a DSN and its password) never shows.
func TestDBProblem(t *testing.T) {
	secret := "host=db.akqi.gov.cn user=dudao password=s3cret"
	for _, c := range []struct {
		err        error
		what, todo string
	}{
		{rules.ErrDiskFull, "磁盘已满", "清理服务器磁盘空间"},
		{rules.ErrStoreBusy, "数据库被占用", "关闭正在使用数据库文件的其他程序"},
		{rules.ErrStoreUnavailable, "数据库无法连接", "检查数据库服务器是否在运行"},
		{errors.New("something else"), "数据库写入出错", "查看运行日志"},
	} {
		err := fmt.Errorf("handlers: record inbound batch: storage: record: %w: dial %s: refused", c.err, secret)
		what, todo := dbProblem(err)
		if !strings.HasPrefix(what, c.what) || !strings.Contains(todo, c.todo) {
			t.Errorf("dbProblem(%v) = %q, %q; want %q and %q", c.err, what, todo, c.what, c.todo)
		}
		if strings.Contains(what+todo, "s3cret") || strings.Contains(what+todo, "db.akqi") {
			t.Errorf("dbProblem shows driver text: %q %q", what, todo)
		}
	}
}
