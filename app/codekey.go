package app

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"dudaobot/config"
)

// CodeKeyName is the file holding the server secret binding codes are
// stored under (handlers.HashCode). It lives in the state folder, next to
// the hot-login file, and never in the database: a copy of the database
// or a backup alone does not let anyone test code guesses offline.
const CodeKeyName = "binding.key"

// codeKeyBytes is the secret's length.
const codeKeyBytes = 32

// CodeKeyPath is where the binding-code secret of cfg lives.
func CodeKeyPath(cfg *config.Config) string {
	return filepath.Join(filepath.Dir(cfg.WeChat.HotLoginFile), CodeKeyName)
}

// loadCodeKey reads the binding-code secret at path, creating it (mode
// 0600, from crypto/rand) at the first start. A file readable by others is
// set back to 0600. The secret is never logged.
func loadCodeKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createCodeKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("app: read binding-code secret %s: %w", path, err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != codeKeyBytes {
		return nil, fmt.Errorf("app: 绑定码密钥文件 %s 已损坏；删除它后重启会生成新密钥（已发出的绑定码随之作废，须重新发放） / binding-code secret %s is damaged: delete it and restart (codes issued so far stop working)", path, path)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			return nil, fmt.Errorf("app: tighten binding-code secret %s: %w", path, err)
		}
	}
	return key, nil
}

// createCodeKey writes a fresh secret: to a temp file, synced, then
// linked into place, so a crash leaves no half-written key and two
// processes starting at once agree on one.
func createCodeKey(path string) ([]byte, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("app: binding-code secret folder %s: %w", dir, err)
	}
	key := make([]byte, codeKeyBytes)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("app: binding-code secret: %w", err)
	}
	f, err := os.CreateTemp(dir, ".binding.key-*")
	if err != nil {
		return nil, fmt.Errorf("app: create binding-code secret in %s: %w", dir, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("app: write binding-code secret %s: %w", path, err)
	}
	// Link fails if another process made the key first: then read theirs.
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return loadCodeKey(path)
		}
		return nil, fmt.Errorf("app: place binding-code secret %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return key, nil
}
