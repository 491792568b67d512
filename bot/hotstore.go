package bot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/eatmoreapple/openwechat"
)

// hotStore is our openwechat.HotReloadStorage (an io.ReadWriter as the
// library uses it: botReload decodes one JSON document with Read; DumpTo
// encodes one whole document per Write call).
//
// It differs from openwechat's file storage in four ways:
//
//  1. Writes are atomic (temp file in the same directory, fsync, rename,
//     fsync the directory): a kill never leaves the file empty or torn, so a
//     restart never needs a QR scan because of us.
//  2. Writes are deferred: openwechat dumps the new SyncKey BEFORE it hands
//     the batch's messages to the handler. Write only buffers the document;
//     commit (called from commitHook when the next synccheck starts, i.e.
//     after every handler of the batch returned and, with a BatchIntake,
//     after AcceptBatch recorded the whole batch) makes it durable.
//  3. Defect (a) of v1.4.10: restored cookies become host-only for the stored
//     "https://<domain>" key, so webpush.<domain> and file.<domain> get none
//     (uploads/downloads fail with "webwx_data_ticket not found"). The
//     document served to Read copies the cookie list to those hosts.
//  4. Defect (b): the jar's host index is not rebuilt on load, so the first
//     dump after a hot login carries "Jar":{} and the next hot login has no
//     cookies. Write keeps the previous jar when handed an empty one (and
//     merges per host within one session).
//
// One hotStore serves one login attempt (one openwechat.Bot); the Client's
// fileMu serialises the rename between them, and close() stops a finished
// session from writing after its successor.
type hotStore struct {
	path   string
	fileMu *sync.Mutex
	log    *slog.Logger

	mu      sync.Mutex
	rd      *bytes.Reader // the fixed-up document offered to botReload; nil = invalid storage
	last    []byte        // the newest document on disk (as loaded or last committed)
	pending []byte        // dumped but not yet committed
	closed  bool

	// safe is a committed document (every message before its SyncKey was
	// accepted) not yet on disk: writes are spaced at least minGap apart,
	// because an fsync+rename per sync batch would cap intake at the disk's
	// sync rate. A crash inside the gap only replays messages the intake
	// already recorded, and it deduplicates them.
	safe      []byte
	lastWrite time.Time
	timer     *time.Timer
	minGap    time.Duration
}

// hotStoreMinGap spaces hot-login file writes (see hotStore.safe).
const hotStoreMinGap = time.Second

// hotDoc mirrors openwechat.HotReloadStorageItem loosely: unknown fields are
// kept verbatim, so a library upgrade that adds fields is not broken by us.
type hotDoc map[string]json.RawMessage

// jarDoc is the serialised jar: "scheme://host" → cookies (Name/Value only).
type jarDoc map[string][]json.RawMessage

func (c *Client) openStore() *hotStore {
	return newHotStore(c.o.HotLoginFile, &c.fileMu, c.log)
}

func newHotStore(path string, fileMu *sync.Mutex, log *slog.Logger) *hotStore {
	h := &hotStore{path: path, fileMu: fileMu, log: log, minGap: hotStoreMinGap}
	if path == "" {
		return h
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			log.Warn("hot-login file unreadable; a new login is needed", "path", path, "err", err)
		}
		return h
	}
	doc, err := parseDoc(data)
	if err != nil {
		log.Warn("hot-login file does not parse; a new login is needed", "path", path, "err", err)
		return h
	}
	h.last = data
	fixed, err := withSubdomainCookies(doc)
	if err != nil {
		log.Warn("hot-login file: cannot fix cookies", "err", err)
		fixed = data
	}
	h.rd = bytes.NewReader(fixed)
	return h
}

// canHotLogin: the file has a session (sid, BaseRequest) and cookies.
func (h *hotStore) canHotLogin() bool {
	doc, jar, ok := h.stored()
	if !ok {
		return false
	}
	var li openwechat.LoginInfo
	var br openwechat.BaseRequest
	_ = json.Unmarshal(doc["LoginInfo"], &li)
	_ = json.Unmarshal(doc["BaseRequest"], &br)
	return li.WxSid != "" && br.Sid != "" && len(jar) > 0 && len(doc["WechatDomain"]) > 2
}

// canPushLogin: the account's uin and cookies are known (the push endpoint
// needs the wxuin cookie, not a live session).
func (h *hotStore) canPushLogin() bool {
	doc, jar, ok := h.stored()
	if !ok {
		return false
	}
	var li openwechat.LoginInfo
	_ = json.Unmarshal(doc["LoginInfo"], &li)
	return li.WxUin != 0 && len(jar) > 0
}

// stored is the document last read or written and its cookies; ok is
// false when there is none or it does not parse.
func (h *hotStore) stored() (hotDoc, jarDoc, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.rd == nil {
		return nil, nil, false
	}
	doc, err := parseDoc(h.last)
	if err != nil {
		return nil, nil, false
	}
	jar, _ := parseJar(doc["Jar"])
	return doc, jar, true
}

// plainRead serves the stored document without workaround (a), for a push
// login. A push login starts a NEW session whose webwx_data_ticket arrives
// as a .qq.com cookie; host-only copies of the old ticket on file.<domain>
// would shadow it (openwechat takes the first match), and every download
// of the new session would be refused.
func (h *hotStore) plainRead() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.rd != nil && h.last != nil {
		h.rd = bytes.NewReader(h.last)
	}
}

// forgetRead makes Read report invalid storage (used to attach the storage
// to a QR login, see attempt).
func (h *hotStore) forgetRead() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rd = nil
}

// Read implements io.Reader for openwechat's botReload.
func (h *hotStore) Read(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.rd == nil {
		return 0, openwechat.ErrInvalidStorage
	}
	return h.rd.Read(p)
}

// Write receives one whole JSON document from openwechat's DumpTo. It is
// buffered until commit; see the type comment.
func (h *hotStore) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || h.path == "" {
		return len(p), nil
	}
	prev := h.pending
	if prev == nil {
		prev = h.safe
	}
	if prev == nil {
		prev = h.last
	}
	doc, err := mergeDump(p, prev)
	if err != nil {
		return 0, fmt.Errorf("bot: hot-login dump: %w", err)
	}
	h.pending = doc
	return len(p), nil
}

// commit marks the pending dump safe to persist (the next synccheck is
// starting, so every handler of its batch returned) and writes it, or
// schedules the write when the last one was less than minGap ago. Errors
// are logged: the previous file stays intact and the next write retries.
func (h *hotStore) commit() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.pending == nil || h.closed {
		return
	}
	h.safe, h.pending = h.pending, nil
	if wait := h.minGap - time.Since(h.lastWrite); wait > 0 {
		if h.timer == nil {
			h.timer = time.AfterFunc(wait, h.flushLater)
		}
		return
	}
	h.writeSafeLocked()
}

func (h *hotStore) flushLater() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.timer = nil
	if !h.closed {
		h.writeSafeLocked()
	}
}

func (h *hotStore) writeSafeLocked() {
	if h.safe == nil {
		return
	}
	h.fileMu.Lock()
	err := writeFileAtomic(h.path, h.safe, 0o600)
	h.fileMu.Unlock()
	h.lastWrite = time.Now()
	if err != nil {
		h.log.Error("hot-login file not written; will retry", "path", h.path, "err", err)
		return
	}
	h.last, h.safe = h.safe, nil
}

// close writes what is already safe, discards anything not yet committed
// and ignores later writes: the session is over (or was never established).
func (h *hotStore) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.timer != nil {
		h.timer.Stop()
		h.timer = nil
	}
	if !h.closed {
		h.writeSafeLocked()
	}
	h.closed = true
	h.pending = nil
}

func parseDoc(data []byte) (hotDoc, error) {
	var doc hotDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc == nil {
		return nil, errors.New("empty document")
	}
	return doc, nil
}

func parseJar(raw json.RawMessage) (jarDoc, error) {
	var jar jarDoc
	if len(raw) == 0 || string(raw) == "null" {
		return jarDoc{}, nil
	}
	if err := json.Unmarshal(raw, &jar); err != nil {
		return nil, err
	}
	for k, v := range jar {
		if len(v) == 0 {
			delete(jar, k)
		}
	}
	return jar, nil
}

func sidOf(doc hotDoc) string {
	var li struct{ WxSid string }
	_ = json.Unmarshal(doc["LoginInfo"], &li)
	return li.WxSid
}

// mergeDump applies workaround (b): an empty jar in a dump is replaced by the
// previous document's jar; within one session (same wxsid) hosts missing from
// the new jar are kept from the previous one, because openwechat serialises
// only the hosts that set cookies in this process.
func mergeDump(p, prev []byte) ([]byte, error) {
	doc, err := parseDoc(p)
	if err != nil {
		return nil, err
	}
	if prev != nil {
		if old, err := parseDoc(prev); err == nil {
			nj, err1 := parseJar(doc["Jar"])
			oj, err2 := parseJar(old["Jar"])
			if err1 == nil && err2 == nil && len(oj) > 0 {
				switch {
				case len(nj) == 0:
					doc["Jar"] = old["Jar"]
				case sidOf(doc) != "" && sidOf(doc) == sidOf(old):
					for k, v := range oj {
						if _, ok := nj[k]; !ok {
							nj[k] = v
						}
					}
					b, err := json.Marshal(nj)
					if err != nil {
						return nil, err
					}
					doc["Jar"] = b
				}
			}
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// withSubdomainCookies applies workaround (a): every host of the stored
// domain (the domain itself, file.<domain>, webpush.<domain>) gets the union
// of the stored cookies, the host's own cookies winning by name.
func withSubdomainCookies(doc hotDoc) ([]byte, error) {
	var domain string
	if err := json.Unmarshal(doc["WechatDomain"], &domain); err != nil || domain == "" {
		return nil, errors.New("no WechatDomain")
	}
	jar, err := parseJar(doc["Jar"])
	if err != nil {
		return nil, fmt.Errorf("jar: %w", err)
	}
	if len(jar) == 0 {
		return json.Marshal(doc)
	}
	base := "https://" + domain
	// Union of every host's cookies by name, the base host's values first.
	type named struct {
		Name string
	}
	union := map[string]json.RawMessage{}
	var order []string
	add := func(list []json.RawMessage, override bool) {
		for _, c := range list {
			var n named
			if json.Unmarshal(c, &n) != nil || n.Name == "" {
				continue
			}
			if _, ok := union[n.Name]; !ok {
				order = append(order, n.Name)
			} else if !override {
				continue
			}
			union[n.Name] = c
		}
	}
	add(jar[base], true)
	for k, list := range jar {
		if k == base || !sameSite(k, domain) {
			continue
		}
		add(list, false)
	}
	for _, host := range []string{base, "https://file." + domain, "https://webpush." + domain} {
		own := map[string]bool{}
		var list []json.RawMessage
		for _, c := range jar[host] {
			var n named
			if json.Unmarshal(c, &n) == nil {
				own[n.Name] = true
			}
			list = append(list, c)
		}
		for _, name := range order {
			if !own[name] {
				list = append(list, union[name])
			}
		}
		jar[host] = list
	}
	b, err := json.Marshal(jar)
	if err != nil {
		return nil, err
	}
	doc["Jar"] = b
	return json.Marshal(doc)
}

// sameSite reports whether the jar key "scheme://host" belongs to domain's
// registrable part (wx.qq.com → qq.com), i.e. cookies that the real service
// scopes to the parent domain.
func sameSite(key, domain string) bool {
	u, err := url.Parse(key)
	if err != nil {
		return false
	}
	host := u.Hostname()
	d := domain
	if i := strings.LastIndexByte(d, ':'); i >= 0 && !strings.Contains(d[i:], "]") {
		d = d[:i]
	}
	parts := strings.Split(d, ".")
	if len(parts) >= 2 {
		d = strings.Join(parts[len(parts)-2:], ".")
	}
	return host == d || strings.HasSuffix(host, "."+d)
}

// writeFileAtomic replaces path with data so that a crash leaves either the
// old or the new content: temp file in the same directory, fsync, rename,
// fsync the directory.
func writeFileAtomic(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("mkdir %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("create temp: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("chmod temp: %w", err)
	}
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write temp: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("fsync temp: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close temp: %w", err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	d, derr := os.Open(dir)
	if derr != nil {
		return fmt.Errorf("open dir: %w", derr)
	}
	defer func() { _ = d.Close() }()
	if derr = d.Sync(); derr != nil {
		return fmt.Errorf("fsync dir: %w", derr)
	}
	return nil
}
