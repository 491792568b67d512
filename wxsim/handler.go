package wxsim

import (
	"bytes"
	"net/http"
	"path"
	"strings"
)

const cgi = "/cgi-bin/mmwebwx-bin/"

// buildHandler routes by Host (as the real service is split over hosts) and
// path. The control API lives under /_sim/ on any host.
func (s *Server) buildHandler() http.Handler {
	ctl := s.controlMux()
	d := strings.ToLower(s.opts.Domain)
	login := map[string]http.HandlerFunc{
		"/jslogin":    s.handleJSLogin,
		cgi + "login": s.handleLoginPoll,
	}
	push := map[string]http.HandlerFunc{cgi + "synccheck": s.handleSyncCheck}
	file := map[string]http.HandlerFunc{
		cgi + "webwxuploadmedia": s.handleUploadMedia,
		cgi + "webwxgetmedia":    s.handleGetMedia,
	}
	base := map[string]http.HandlerFunc{
		cgi + "webwxnewloginpage":    s.handleNewLoginPage,
		cgi + "webwxinit":            s.handleWebInit,
		cgi + "webwxstatusnotify":    s.handleStatusNotify,
		cgi + "webwxgetcontact":      s.handleGetContact,
		cgi + "webwxbatchgetcontact": s.handleBatchGetContact,
		cgi + "webwxsync":            s.handleWebSync,
		cgi + "webwxsendmsg":         s.handleSend("text"),
		cgi + "webwxsendappmsg":      s.handleSend("file"),
		cgi + "webwxsendmsgimg":      s.handleSend("image"),
		cgi + "webwxsendvideomsg":    s.handleSend("video"),
		cgi + "webwxsendemoticon":    s.handleSend("emoticon"),
		cgi + "webwxrevokemsg":       s.handleRevoke,
		cgi + "webwxcheckupload":     s.handleCheckUpload,
		cgi + "webwxoplog":           s.handleOplog,
		cgi + "webwxlogout":          s.handleLogout,
		cgi + "webwxpushloginurl":    s.handlePushLoginURL,
		cgi + "webwxgetmsgimg":       s.handleGetMsgMedia("image/jpeg"),
		cgi + "webwxgetvoice":        s.handleGetMsgMedia("audio/mp3"),
		cgi + "webwxgetvideo":        s.handleGetMsgMedia("video/mp4"),
		cgi + "webwxgeticon":         handleIcon,
		cgi + "webwxgetheadimg":      handleIcon,
	}
	hosts := map[string]map[string]http.HandlerFunc{
		"login.wx.qq.com": login,
		"webpush." + d:    push,
		"file." + d:       file,
		d:                 base,
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			http.Error(w, "wxsim closed", http.StatusServiceUnavailable)
			return
		}
		s.reqWG.Add(1) // under mu and before closed: never races with Close's Wait
		s.mu.Unlock()
		defer s.reqWG.Done()
		if strings.HasPrefix(r.URL.Path, "/_sim/") {
			ctl.ServeHTTP(w, r)
			return
		}
		host := strings.ToLower(r.Host)
		routes, ok := hosts[host]
		if !ok {
			s.log.Warn("unknown host", "host", r.Host, "path", r.URL.Path)
			http.NotFound(w, r)
			return
		}
		h, ok := routes[r.URL.Path]
		if !ok {
			s.log.Warn("unhandled endpoint", "host", r.Host, "path", r.URL.Path)
			if host == d && strings.HasPrefix(r.URL.Path, cgi) {
				writeJSON(w, map[string]any{"BaseResponse": baseResp(1, "not implemented in wxsim")})
				return
			}
			http.NotFound(w, r)
			return
		}
		endpoint := path.Base(r.URL.Path)
		s.log.Debug("request", "host", r.Host, "endpoint", endpoint, "query", r.URL.RawQuery)
		if kind := s.takeFault(endpoint); kind != "" {
			s.log.Info("fault injected", "endpoint", endpoint, "kind", kind)
			s.applyFault(kind, endpoint, h, w, r)
			return
		}
		h(w, r)
	})
}

// applyFault misbehaves the way real networks and the real service do.
func (s *Server) applyFault(kind, endpoint string, h http.HandlerFunc, w http.ResponseWriter, r *http.Request) {
	switch kind {
	case FaultHang:
		select {
		case <-r.Context().Done():
		case <-s.ctx.Done():
		}
	case FaultDrop:
		dropConn(w)
	case FaultDropAfter:
		// The request is processed, then the answer is lost: the client
		// retries the identical body (ClientMsgId dedupe matters here).
		bw := &bufferedWriter{header: http.Header{}}
		h(bw, r)
		dropConn(w)
	case FaultRet1205:
		if endpoint == "webwxsync" {
			writeJSON(w, map[string]any{
				"BaseResponse": baseResp(1205, ""), "AddMsgCount": 0, "AddMsgList": []any{},
				"SyncKey": map[string]any{"Count": 0, "List": []any{}},
			})
			return
		}
		writeJSON(w, map[string]any{"BaseResponse": baseResp(1205, ""), "MsgID": "", "LocalID": "", "MediaId": ""})
	default: // FaultHTTP5xx
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html><body><h1>502 Bad Gateway</h1></body></html>"))
	}
}

func dropConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

type bufferedWriter struct {
	header http.Header
	buf    bytes.Buffer
	code   int
}

func (b *bufferedWriter) Header() http.Header         { return b.header }
func (b *bufferedWriter) Write(p []byte) (int, error) { return b.buf.Write(p) }
func (b *bufferedWriter) WriteHeader(code int)        { b.code = code }
