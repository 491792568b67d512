package sandbox

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"dudaobot/app"
	"dudaobot/config"
)

// markerText is written into the marker file, for whoever finds it.
const markerText = "This folder was created by `dudaobot sandbox` and holds simulated data only.\n" +
	"本目录由 dudaobot 沙盒创建，只存放模拟数据；正式运行（dudaobot run）会拒绝使用它。\n"

// prepareDataDir makes sure the sandbox plays only in a folder it created:
// a new (or empty) folder is created 0700 with the marker; an existing
// folder must carry the marker. A folder that holds (or would hold) a
// production path of the config — the database, files, backups or the
// hot-login file — is refused whatever it carries, naming the path.
func prepareDataDir(dir string, cfg *config.Config) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("sandbox: data folder %s: %w", dir, err)
	}
	if err := refuseProduction(abs, cfg); err != nil {
		return err
	}
	marker := filepath.Join(abs, app.SandboxMarker)
	entries, err := os.ReadDir(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(abs, 0o700); err != nil {
			return fmt.Errorf("sandbox: data folder %s: %w", dir, err)
		}
	case err != nil:
		return fmt.Errorf("sandbox: data folder %s: %w", dir, err)
	case len(entries) > 0:
		if _, err := os.Lstat(marker); err != nil {
			return fmt.Errorf("sandbox: 数据目录 %s 不是沙盒创建的（没有 %s 标记），其中可能是正式数据，拒绝使用；请用 -data 指定一个新目录 / %s was not created by the sandbox (no %s marker): refusing it, pick a new folder with -data",
				dir, app.SandboxMarker, dir, app.SandboxMarker)
		}
	}
	if err := os.Chmod(abs, 0o700); err != nil {
		return fmt.Errorf("sandbox: data folder %s: %w", dir, err)
	}
	if err := os.WriteFile(marker, []byte(markerText), 0o600); err != nil {
		return fmt.Errorf("sandbox: data folder %s: marker: %w", dir, err)
	}
	return nil
}

// refuseProduction fails if a production data path of cfg lies in dir, or
// dir lies in a production folder.
func refuseProduction(dir string, cfg *config.Config) error {
	type prod struct{ field, path string }
	paths := []prod{
		{"files_dir", cfg.FilesDir},
		{"backups_dir", cfg.BackupsDir},
		{"wechat.hot_login_file", cfg.WeChat.HotLoginFile},
	}
	if cfg.Database.Driver == "" || cfg.Database.Driver == "sqlite" {
		paths = append([]prod{{"database.path", cfg.Database.Path}}, paths...)
	}
	for _, p := range paths {
		if p.path == "" {
			continue
		}
		abs, err := filepath.Abs(p.path)
		if err != nil {
			continue
		}
		if within(abs, dir) || ((p.field == "files_dir" || p.field == "backups_dir") && within(dir, abs)) {
			return fmt.Errorf("sandbox: 数据目录 %s 存放着正式数据（%s：%s），沙盒拒绝使用，以免覆盖正式数据库或登录状态；请用 -data 指定另一个目录 / %s holds production data (%s: %s): refusing it, pick another folder with -data",
				dir, p.field, p.path, dir, p.field, p.path)
		}
	}
	return nil
}

// within reports whether path is dir or lies under it (symlinks resolved
// where they exist).
func within(path, dir string) bool {
	path, dir = resolve(path), resolve(dir)
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// resolve follows symlinks of the longest existing prefix of p.
func resolve(p string) string {
	rest := ""
	for {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(r, rest)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return filepath.Join(p, rest)
		}
		rest = filepath.Join(filepath.Base(p), rest)
		p = parent
	}
}

// checkAddr refuses a listen address beyond loopback unless public.
func checkAddr(addr string, public bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("sandbox: -addr %q 应为 主机:端口，如 127.0.0.1:8080 / -addr must be host:port: %w", addr, err)
	}
	if public || isLoopbackHost(host) {
		return nil
	}
	return fmt.Errorf("sandbox: -addr %s 不是本机地址；沙盒网页能以主任身份操作，默认只在本机提供。确需让其他电脑访问，请加 -public / -addr %s is not loopback: add -public to serve the sandbox beyond this machine", addr, addr)
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

func newToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("sandbox: token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// hostRule says which Host headers the server answers: an IP literal or
// localhost, on the listen port; loopback only when listening on loopback;
// the listen IP itself when bound to one. A DNS name is never accepted, so
// a rebinding domain that points at this port gets nothing.
type hostRule struct {
	port     string
	ip       netip.Addr // the bound IP; invalid when unspecified (0.0.0.0, ::)
	loopback bool
}

func newHostRule(a net.Addr) hostRule {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return hostRule{}
	}
	r := hostRule{port: fmt.Sprint(ap.Port()), loopback: ap.Addr().Unmap().IsLoopback()}
	if !ap.Addr().IsUnspecified() {
		r.ip = ap.Addr().Unmap()
	}
	return r
}

func (h hostRule) allows(hostport string) bool {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil || port != h.port {
		return false
	}
	if host == "localhost" {
		return h.loopback || !h.ip.IsValid()
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	switch {
	case h.loopback:
		return ip.IsLoopback()
	case h.ip.IsValid():
		return ip == h.ip
	}
	return true
}

// Refusals of the guard (also in SECURITY.md).
const (
	textBadHost    = "主机名不对（Host: %s），请使用沙盒启动时显示的网址访问 / Host not allowed"
	textCrossSite  = "拒绝跨站请求（来源 %s）；请直接在沙盒网页上操作 / cross-site request refused"
	textNoToken    = "缺少或错误的访问令牌；请使用沙盒启动时显示的完整网址（含 token）打开网页 / missing or wrong token: open the URL the sandbox printed"
	textNotJSON    = "请求体须为 JSON（Content-Type: application/json） / JSON bodies only"
	textNotOctet   = "文件须以原始字节上传（Content-Type: application/octet-stream） / upload the raw file as application/octet-stream"
	tokenHeader    = "X-Sandbox-Token"
	fileNameHeader = "X-File-Name"
)

// guard wraps the web server: every request must name an allowed Host and,
// when the browser says where it comes from, come from this page's own
// origin; every API call carries the run's token; POST bodies are JSON,
// except the upload, which is the file's raw bytes. Both are content types
// that a cross-site form cannot send without a CORS preflight, which the
// server never grants.
func (s *Sandbox) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hosts.allows(r.Host) {
			writeErr(w, http.StatusMisdirectedRequest, fmt.Sprintf(textBadHost, r.Host))
			return
		}
		if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host {
			writeErr(w, http.StatusForbidden, fmt.Sprintf(textCrossSite, o))
			return
		}
		if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
			writeErr(w, http.StatusForbidden, fmt.Sprintf(textCrossSite, site))
			return
		}
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			next.ServeHTTP(w, r)
			return
		}
		tok := r.Header.Get(tokenHeader)
		if tok == "" {
			tok = r.URL.Query().Get("token")
		}
		if subtle.ConstantTimeCompare([]byte(tok), []byte(s.token)) != 1 {
			writeErr(w, http.StatusForbidden, textNoToken)
			return
		}
		if r.Method == http.MethodPost {
			want, text := "application/json", textNotJSON
			if strings.HasSuffix(r.URL.Path, "/file") {
				want, text = "application/octet-stream", textNotOctet
			}
			mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err != nil || mt != want {
				writeErr(w, http.StatusUnsupportedMediaType, text)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
