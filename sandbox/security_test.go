package sandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dudaobot/sandbox"
)

// prodConfig writes a copy of the shipped config with the production
// database, files and backups under dir and the hot-login file under
// hotDir, and returns its path.
func prodConfig(t *testing.T, dir, hotDir string) string {
	t.Helper()
	data, err := os.ReadFile("../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.NewReplacer(
		"path: data/dudao.db", "path: "+filepath.Join(dir, "dudao.db"),
		"files_dir: data/files", "files_dir: "+filepath.Join(dir, "files"),
		"backups_dir: data/backups", "backups_dir: "+filepath.Join(dir, "backups"),
		"hot_login_file: data/hotlogin.json", "hot_login_file: "+filepath.Join(hotDir, "hotlogin.json"),
	).Replace(string(data))
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRefusesProductionFolder (issue 12, finding 1): `sandbox -data data`
// on the folder holding the production database and hot-login file is
// refused, naming the path, and neither file is touched; so is a folder
// holding only the hot-login file, and a non-empty folder the sandbox did
// not create.
func TestRefusesProductionFolder(t *testing.T) {
	prod := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(prod, 0o700); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"dudao.db": "PRODUCTION DATABASE", "hotlogin.json": `{"session":"PRODUCTION"}`}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(prod, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfgPath := prodConfig(t, prod, prod)
	hotOnly := filepath.Join(t.TempDir(), "state")
	hotCfg := prodConfig(t, filepath.Join(t.TempDir(), "elsewhere"), hotOnly)

	foreign := t.TempDir()
	if err := os.WriteFile(filepath.Join(foreign, "notes.txt"), []byte("someone's files"), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name, cfg, dir string
		want           []string
	}{
		{"production data folder", cfgPath, prod, []string{"存放着正式数据", "database.path", filepath.Join(prod, "dudao.db")}},
		{"folder with the hot-login file", hotCfg, hotOnly, []string{"存放着正式数据", "wechat.hot_login_file", filepath.Join(hotOnly, "hotlogin.json")}},
		{"folder the sandbox did not create", "../config.yaml", foreign, []string{"不是沙盒创建的", ".dudaobot-sandbox", foreign}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			ctx, cancel := hangGuard(t)
			defer cancel()
			s, err := sandbox.Start(ctx, sandbox.Options{Addr: "127.0.0.1:0", DataDir: c.dir, ConfigPath: c.cfg, Out: &out, Logger: testLogger(t)})
			if err == nil {
				s.Close()
				t.Fatalf("the sandbox started in %s:\n%s", c.dir, out.String())
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if strings.Contains(out.String(), "与正式数据库分开") {
				t.Errorf("printed 与正式数据库分开 although it refused:\n%s", out.String())
			}
		})
	}
	for name, body := range files {
		got, err := os.ReadFile(filepath.Join(prod, name))
		if err != nil || string(got) != body {
			t.Errorf("production %s changed: %q, %v", name, got, err)
		}
	}
	if _, err := os.Stat(filepath.Join(prod, ".dudaobot-sandbox")); err == nil {
		t.Errorf("the sandbox marked the production folder")
	}
}

// TestMarkerFolderReused: a folder the sandbox created (it carries the
// marker) is used again; the marker and the folder are private.
func TestMarkerFolderReused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sb")
	s := startSandbox(t, dir)
	s.Close()
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("sandbox folder mode %v, %v; want 0700", fi.Mode(), err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".dudaobot-sandbox")); err != nil {
		t.Fatalf("no marker: %v", err)
	}
	s2 := startSandbox(t, dir)
	s2.Close()
}

// TestNonLoopbackNeedsPublic (finding 4): -addr 0.0.0.0 is refused without
// -public, and with it the sandbox warns.
func TestNonLoopbackNeedsPublic(t *testing.T) {
	ctx, cancel := hangGuard(t)
	defer cancel()
	_, err := sandbox.Start(ctx, sandbox.Options{Addr: "0.0.0.0:0", DataDir: t.TempDir(), ConfigPath: "../config.yaml", Logger: testLogger(t)})
	if err == nil || !strings.Contains(err.Error(), "-public") {
		t.Fatalf("0.0.0.0 without -public: %v", err)
	}
	var out bytes.Buffer
	s, err := sandbox.Start(ctx, sandbox.Options{Addr: "0.0.0.0:0", Public: true, DataDir: t.TempDir(), ConfigPath: "../config.yaml", Out: &out, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if !strings.Contains(out.String(), "警告") || !strings.Contains(out.String(), "WARNING") {
		t.Errorf("no warning for a public sandbox:\n%s", out.String())
	}
}

type rawResp struct {
	status int
	body   string
}

// call sends one request with full control of its headers.
func call(t *testing.T, method, url, host string, hdr map[string]string, body string) rawResp {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(b, &e)
	if e.Error != "" {
		return rawResp{resp.StatusCode, e.Error}
	}
	return rawResp{resp.StatusCode, string(b)}
}

// TestWebAPIGuard (issue 12, finding 4): a cross-site text/plain POST does
// not broadcast as the director nor move the clock; a request without the
// run's token, one under a rebinding host name and one with a foreign
// Origin are refused with a Chinese reason; the page's own requests pass.
func TestWebAPIGuard(t *testing.T) {
	t.Parallel()
	s := startSandbox(t, t.TempDir())
	defer s.Close()
	c := newClient(t, s)
	var cs []contact
	c.get("api/contacts", &cs)
	dir := byRemark(t, cs, "督导办主任")
	var before clockState
	c.get("api/clock", &before)
	host := strings.TrimSuffix(strings.TrimPrefix(s.Base(), "http://"), "/")
	port := host[strings.LastIndex(host, ":")+1:]
	tok := map[string]string{"X-Sandbox-Token": s.Token()}
	with := func(m map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	textURL := s.Base() + "api/contacts/" + dir.ID + "/text"
	for _, r := range []struct {
		name, method, url, host string
		hdr                     map[string]string
		body                    string
		status                  int
		want                    string
	}{
		{"cross-site form 下发 (text/plain, no token)", "POST", textURL, "",
			map[string]string{"Content-Type": "text/plain", "Origin": "http://evil.example"}, `{"text":"下发 请各单位自查"}`, 403, "跨站"},
		{"cross-site clock jump with the token", "POST", s.Base() + "api/clock", "",
			with(tok, "Content-Type", "text/plain", "Origin", "http://evil.example"), `{"date":"2027-12-31","time":"09:00"}`, 403, "跨站"},
		{"same-origin text/plain", "POST", s.Base() + "api/clock", "",
			with(tok, "Content-Type", "text/plain"), `{"date":"2027-12-31","time":"09:00"}`, 415, "JSON"},
		{"form upload (multipart)", "POST", s.Base() + "api/contacts/" + dir.ID + "/file", "",
			with(tok, "Content-Type", "multipart/form-data; boundary=x"), "--x--", 415, "原始字节"},
		{"no token", "GET", s.Base() + "api/contacts/" + dir.ID + "/messages", "", nil, "", 403, "令牌"},
		{"wrong token", "GET", s.Base() + "api/info", "", map[string]string{"X-Sandbox-Token": "0000"}, "", 403, "令牌"},
		{"DNS rebinding host", "GET", s.Base() + "api/contacts", "rebind.evil.example:" + port, tok, "", 421, "主机名不对"},
		{"wrong port in Host", "GET", s.Base() + "api/contacts", "127.0.0.1:1", tok, "", 421, "主机名不对"},
		{"rebinding host for the page", "GET", s.Base(), "rebind.evil.example:" + port, nil, "", 421, "主机名不对"},
		{"sibling site on another port", "GET", s.Base() + "api/contacts", "", with(tok, "Sec-Fetch-Site", "same-site"), "", 403, "跨站"},
		{"page's own call", "GET", s.Base() + "api/clock", "", with(tok, "Origin", "http://"+host, "Sec-Fetch-Site", "same-origin"), "", 200, `"now"`},
		{"localhost name", "GET", s.Base() + "api/clock", "localhost:" + port, tok, "", 200, `"now"`},
		{"event stream token in the URL", "GET", s.Base() + "api/clock?token=" + s.Token(), "", nil, "", 200, `"now"`},
	} {
		got := call(t, r.method, r.url, r.host, r.hdr, r.body)
		if got.status != r.status || !strings.Contains(got.body, r.want) {
			t.Errorf("%s: %d %s; want %d with %q", r.name, got.status, got.body, r.status, r.want)
		}
	}
	var after clockState
	c.get("api/clock", &after)
	if after.Date != before.Date {
		t.Errorf("the clock moved from %s to %s", before.Date, after.Date)
	}
	var msgs []message
	c.get("api/contacts/"+dir.ID+"/messages", &msgs)
	if len(msgs) != 0 {
		t.Errorf("the director's chat got %d messages from refused requests: %+v", len(msgs), msgs)
	}
	if n := len(s.Sim().Sent()); n != 0 {
		t.Errorf("the bot sent %d messages after refused requests", n)
	}
}
