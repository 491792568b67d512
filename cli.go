package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"dudaobot/config"
	"dudaobot/rules"
)

const usage = `dudaobot — 履行教育职责督导评价机器人 / education-duty supervision bot

用法 / usage: dudaobot <command> [flags]

  sandbox    整套机器人 + 模拟微信 + 网页（无需微信账号） / the whole bot against the simulator, with a web page
  run        登录办公室微信运行机器人 / run the bot on the office's WeChat account
  check      校验配置并列出单位、联系人和本年度截止日期 / validate config.yaml and print a summary
  status     各单位履职进度表 / the compliance table
  export     导出 Excel 台账 / write the Excel ledger (-o ledger.xlsx)
  report     生成年度督导评估报告草稿 / write the year's report draft (-o 报告.docx)
  codes      生成一次性绑定码 / print one-time binding codes for officials
  contacts   核对微信联系人备注 / which configured officials are found among the bot's contacts
  wxsim      单独运行模拟微信服务器 / run the simulated WeChat server alone
`

// runner is what a command does once its flags are parsed.
type runner func(ctx context.Context, stdout, stderr io.Writer) error

// commands is the CLI's menu, one file per command: each declares its flags
// on fs (-config is common to all) and returns what it runs.
var commands = map[string]func(fs *flag.FlagSet, cfgPath *string) runner{
	"check":    cmdCheck,
	"status":   cmdStatus,
	"export":   cmdExport,
	"report":   cmdReport,
	"codes":    cmdCodes,
	"run":      cmdRun,
	"sandbox":  cmdSandbox,
	"wxsim":    cmdWxsim,
	"contacts": cmdContacts,
}

// run is main without os.Exit, so tests can call it.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd, rest := args[0], args[1:]
	err := runCommand(ctx, cmd, rest, stdout, stderr)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "dudaobot "+cmd+": "+rules.ScrubSecrets(oneLine(err)))
	var verr *config.ValidationError
	if errors.As(err, &verr) {
		for _, p := range verr.Problems {
			fmt.Fprintln(stderr, "  "+p.Error())
		}
	}
	return 1
}

// runCommand parses the command's flags from args and runs it.
func runCommand(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer) error {
	newCmd, ok := commands[cmd]
	if !ok {
		return fmt.Errorf("未知命令 %q（运行 dudaobot help 查看用法） / unknown command %q", cmd, cmd)
	}
	fs, cfgPath := newFlags(cmd)
	r := newCmd(fs, cfgPath)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return r(ctx, stdout, stderr)
}

// oneLine keeps the first line of an error; config problems are listed
// separately, one per line.
func oneLine(err error) string {
	var verr *config.ValidationError
	if errors.As(err, &verr) {
		return fmt.Sprintf("配置有 %d 处问题 / config has %d problem(s):", len(verr.Problems), len(verr.Problems))
	}
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

func newFlags(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg := fs.String("config", "config.yaml", "配置文件 / configuration file")
	return fs, cfg
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("参数错误 / bad flags: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("多余的参数 / unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return nil
}
