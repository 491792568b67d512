package quotestyle_test

import (
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"dudaobot/config"
)

// remarkAdmin are the goldens of binding administration (绑定, 绑定列表,
// 解绑): there the remark is the thing administered — the director types it
// into WeChat as the contact's 备注, or into 解绑 — so they show it.
var remarkAdmin = []string{
	"handlers/testdata/bind_director.golden",
	"handlers/testdata/binding_list.golden",
	"handlers/testdata/unbind_preview.golden",
}

// goldenMeta are lines of a golden that are not chat text: the year
// simulation's headers (time, recipient, key) and section lines.
var goldenMeta = regexp.MustCompile(`^(===|\d\d-\d\d \d\d:\d\d:\d\d\s+to=)`)

// TestGoldenRepliesNameNoRemark reads every golden reply for the WeChat
// remarks of the shipped config.yaml (every unit's officials and backups,
// the inspectors): a chat text names a person by unit and name
// (rules.ContactLabels), never by the office's remark. The directors'
// remark there is their title, 督导办主任, which the refusals name as a
// role (“仅限督导办主任使用”), so it is not a remark a text could leak.
func TestGoldenRepliesNameNoRemark(t *testing.T) {
	cfg, err := config.Load(filepath.Join(root, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var remarks []string
	for _, u := range cfg.Units() {
		for _, o := range u.Officials {
			remarks = append(remarks, o.WeChatRemark)
		}
		if u.Backup != nil {
			remarks = append(remarks, u.Backup.WeChatRemark)
		}
	}
	for _, p := range cfg.Inspectors() {
		remarks = append(remarks, p.WeChatRemark)
	}
	if len(remarks) < 50 {
		t.Fatalf("%d remarks in config.yaml; the roster was not read", len(remarks))
	}
	scanned := 0
	walk(t, func(rel string, d fs.DirEntry) {
		if !strings.HasSuffix(rel, ".golden") || !underTestdata(rel) || under(rel, notChat) || isAdmin(rel) {
			return
		}
		scanned++
		for i, line := range strings.Split(string(read(t, rel)), "\n") {
			if goldenMeta.MatchString(line) {
				continue
			}
			for _, r := range remarks {
				if r != "" && strings.Contains(line, r) {
					t.Errorf("%s:%d: shows the remark %q (name the person by unit and name): %s", rel, i+1, r, strings.TrimSpace(line))
					break
				}
			}
		}
	})
	if scanned < 100 {
		t.Fatalf("scanned %d golden files; the walk from %s missed the testdata trees", scanned, root)
	}
}

func isAdmin(rel string) bool {
	for _, a := range remarkAdmin {
		if rel == a {
			return true
		}
	}
	return false
}
