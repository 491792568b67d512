package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"dudaobot/wxsim"
)

// TestRunRefusesSandboxFolder (issue 12, finding 1): `run` on a config whose
// data folder carries the sandbox marker stops before any login, naming the
// folder; `status` refuses it too. The simulator stands in for WeChat: a
// login there would mean the production bot accepted simulated data.
func TestRunRefusesSandboxFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sandbox-data")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".dudaobot-sandbox"), []byte("sandbox"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := tempConfig(t, dir)
	sim := wxsim.New(wxsim.Options{AutoConfirm: true, LongPollHold: time.Second})
	defer sim.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- runCommand(ctx, "run", []string{"-config", p, "-wxsim", sim.URL()}, &out, &errb) }()
	loggedIn := make(chan error, 1)
	go func() { loggedIn <- sim.WaitLoggedIn(ctx) }()
	var err error
	select {
	case err = <-done:
	case <-loggedIn:
		cancel()
		<-done
		t.Fatalf("run logged in on a sandbox folder:\n%s", out.String())
	}
	if err == nil {
		t.Fatal("run returned no error on a sandbox folder")
	}
	for _, want := range []string{"沙盒目录", dir, ".dudaobot-sandbox"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("run error lacks %q: %v", want, err)
		}
	}
	if _, statErr := os.Stat(filepath.Join(dir, "dudao.db")); statErr == nil {
		t.Error("run created a database in the sandbox folder")
	}
	errb.Reset()
	if code := run([]string{"status", "-config", p}, &out, &errb); code == 0 || !strings.Contains(errb.String(), "沙盒目录") {
		t.Errorf("status on a sandbox folder: exit=%d stderr=%s", code, errb.String())
	}
}

// TestExportMode (issue 12, finding 5): the exported ledger is 0600 under
// umask 0.
func TestExportMode(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := t.TempDir()
	p := tempConfig(t, dir)
	xlsx := filepath.Join(dir, "ledger.xlsx")
	var out, errb bytes.Buffer
	if code := run([]string{"export", "-config", p, "-o", xlsx}, &out, &errb); code != 0 {
		t.Fatalf("export exit=%d: %s", code, errb.String())
	}
	fi, err := os.Stat(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("ledger mode %o, want 600", fi.Mode().Perm())
	}
}
