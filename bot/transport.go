package bot

import (
	"context"
	"io"
	"net/http"
	"strings"
	"time"
)

// deadlineTransport replaces openwechat's whole-client 30 s timeout (which
// covers reading the body, so it cuts long downloads and collides with the
// 25 s long polls) by a deadline per endpoint class:
//
//   - synccheck and the login poll: longPoll (server holds ≤ 25 s);
//   - media downloads: none here — File.Open puts DownloadTimeout on the
//     request's context;
//   - one upload chunk: upload;
//   - everything else: request.
//
// The deadline also covers reading the body: the context is cancelled only
// when the body is closed.
type deadlineTransport struct {
	base                      http.RoundTripper
	longPoll, request, upload time.Duration
}

func (t *deadlineTransport) timeoutFor(req *http.Request) time.Duration {
	p := req.URL.Path
	switch {
	case strings.HasSuffix(p, "/synccheck"),
		strings.HasSuffix(p, "/mmwebwx-bin/login"):
		return t.longPoll
	case strings.HasSuffix(p, "/webwxgetmedia"),
		strings.HasSuffix(p, "/webwxgetmsgimg"),
		strings.HasSuffix(p, "/webwxgetvoice"),
		strings.HasSuffix(p, "/webwxgetvideo"):
		return 0
	case strings.HasSuffix(p, "/webwxuploadmedia"):
		return t.upload
	}
	return t.request
}

func (t *deadlineTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	d := t.timeoutFor(req)
	if d <= 0 {
		return t.base.RoundTrip(req)
	}
	ctx, cancel := context.WithTimeout(req.Context(), d)
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
