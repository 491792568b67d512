package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"dudaobot/config"
)

// SandboxMarker is the file the sandbox writes into the data folder it
// creates. The sandbox runs only under a folder carrying it; the production
// bot refuses any data path under one, so neither can ever open the
// other's database, files or WeChat session.
const SandboxMarker = ".dudaobot-sandbox"

// dataPaths are the folders where the bot writes: the SQLite file's folder,
// files_dir, backups_dir and the hot-login file's folder. Each is named by
// the config field it comes from, for the error.
func dataPaths(cfg *config.Config) [][2]string {
	var out [][2]string
	if cfg.Database.Driver == "" || cfg.Database.Driver == "sqlite" {
		out = append(out, [2]string{"database.path", filepath.Dir(cfg.Database.Path)})
	}
	out = append(out,
		[2]string{"files_dir", cfg.FilesDir},
		[2]string{"backups_dir", cfg.BackupsDir},
		[2]string{"wechat.hot_login_file", filepath.Dir(cfg.WeChat.HotLoginFile)},
	)
	return out
}

// markedAncestor returns the folder at or above dir that carries the sandbox
// marker ("" if none).
func markedAncestor(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		_, err := os.Lstat(filepath.Join(abs, SandboxMarker))
		switch {
		case err == nil:
			return abs, nil
		case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission):
			return "", err
		}
		parent := filepath.Dir(abs)
		if parent == abs {
			return "", nil
		}
		abs = parent
	}
}

// checkDataPaths enforces the separation: in production no data path lies
// in a sandbox folder; in the sandbox every data path does, and the
// database is a SQLite file (never a PostgreSQL DSN, which can only be a
// real server).
func checkDataPaths(cfg *config.Config, sandbox bool) error {
	if sandbox && cfg.Database.Driver != "" && cfg.Database.Driver != "sqlite" {
		return fmt.Errorf("app: 沙盒只使用自己目录下的 SQLite 文件，拒绝连接 %s 数据库（database.driver） / the sandbox refuses a %s database: it only uses a SQLite file in its own folder",
			cfg.Database.Driver, cfg.Database.Driver)
	}
	if sandbox && (cfg.Database.DSN != "" || cfg.Database.DSNEnv != "") {
		return errors.New("app: 沙盒拒绝使用 PostgreSQL 连接串（database.dsn / dsn_env） / the sandbox refuses a PostgreSQL DSN")
	}
	for _, p := range dataPaths(cfg) {
		marked, err := markedAncestor(p[1])
		if err != nil {
			return fmt.Errorf("app: %s %s: %w", p[0], p[1], err)
		}
		switch {
		case !sandbox && marked != "":
			return fmt.Errorf("app: %s（%s）位于沙盒目录 %s 中（有 %s 标记），那里是模拟数据，正式运行不能使用；请在配置中改用正式数据目录 / %s %s is inside the sandbox folder %s: production refuses sandbox data",
				p[0], p[1], marked, SandboxMarker, p[0], p[1], marked)
		case sandbox && marked == "":
			return fmt.Errorf("app: 沙盒的 %s（%s）不在沙盒创建的目录中（缺少 %s 标记），拒绝使用 / sandbox %s %s is not in a folder the sandbox created",
				p[0], p[1], SandboxMarker, p[0], p[1])
		}
	}
	return nil
}
