package wxsim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Options configures a Server. The zero value is usable.
type Options struct {
	// SelfNickName is the bot account's nick name (default "督导办机器人").
	SelfNickName string
	// SelfUin is the bot account's fixed Uin (wxuin); default 2100000001.
	SelfUin int64
	// Domain is the host the login redirect points at (default "wx.qq.com").
	// The client derives file.<Domain> and webpush.<Domain> from it.
	Domain string
	// AutoConfirm makes every login poll behave as if the phone scanned and
	// confirmed at once, so tests need no ConfirmLogin call.
	AutoConfirm bool
	// LongPollHold is the longest time the login poll and synccheck are held
	// before answering "nothing new" (default 20s, capped at 25s because the
	// client's whole-request timeout is 30s). Tests use ~1s.
	LongPollHold time.Duration
	// HoldUntilChange keeps synccheck held until there is something to
	// report (or the client gives up), never answering "nothing new" when
	// LongPollHold passes. A test can then prove that something happened
	// before a long poll returned by waiting for it alone, with no bound on
	// the time it takes.
	HoldUntilChange bool
	// ContactPageSize is the number of contacts per webwxgetcontact page
	// (default 100). Small values exercise the client's Seq paging.
	ContactPageSize int
	// Logger receives request and state logs; nil discards them.
	Logger *slog.Logger
	// DataDir keeps uploaded and outgoing media. Empty means a temporary
	// directory that Close removes.
	DataDir string
	// Seed seeds the fault-injection RNG so that Rate-based faults are
	// reproducible (0 is a valid seed).
	Seed int64
}

// ErrNoPendingLogin is returned by ConfirmLogin/ScanLogin when no QR or push
// login is waiting for the phone.
var ErrNoPendingLogin = errors.New("wxsim: no pending login")

// ErrUnknownContact is returned when a control call names an unknown id.
var ErrUnknownContact = errors.New("wxsim: unknown contact")

// Server is a simulated web-WeChat service on a loopback listener.
type Server struct {
	opts    Options
	log     *slog.Logger
	ln      net.Listener
	srv     *http.Server
	url     string
	handler http.Handler
	rt      *http.Transport
	ctx     context.Context
	cancel  context.CancelFunc
	serveWG sync.WaitGroup
	reqWG   sync.WaitGroup // in-flight handlers; Add only under mu while !closed
	dataDir string
	ownDir  bool
	once    sync.Once

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every state change (broadcast)
	closed  bool

	// account
	self     *contact
	contacts []*contact
	byID     map[string]*contact
	nextCID  int

	// login
	pendings map[string]*pendingLogin // by uuid
	tickets  map[string]*pendingLogin
	newest   *pendingLogin
	sessions map[string]*session // by sid
	current  *session
	logins   int

	// inbound message log (account wide; see sync.go)
	msgLog        []logEntry
	nextSeq       int64
	deliveredUpTo int64
	msgByID       map[string]*simMsg
	msgCounter    int64

	// media and uploads
	media    map[string]*mediaFile // by MediaId
	uploads  map[string]*upload
	checks   map[string]checkInfo // by Signature
	byDigest map[string]string    // md5|size -> MediaId, for checkupload reuse

	// outbound (bot -> contacts)
	sent      []Sent
	sentMedia map[int64]*mediaFile
	subs      map[int]chan Sent
	nextSub   int
	sentIDs   int64

	// faults
	faults    []*faultState
	nextFault int
	rng       *mrand.Rand
}

// New starts a simulator on 127.0.0.1 with an ephemeral port. It panics only
// if the loopback listener or the temp dir cannot be created, which means the
// test environment is broken.
func New(opts Options) *Server {
	if opts.SelfNickName == "" {
		opts.SelfNickName = "督导办机器人"
	}
	if opts.SelfUin == 0 {
		opts.SelfUin = 2100000001
	}
	if opts.Domain == "" {
		opts.Domain = "wx.qq.com"
	}
	if opts.LongPollHold <= 0 {
		opts.LongPollHold = 20 * time.Second
	}
	if opts.LongPollHold > 25*time.Second {
		// The client gives up (and retries) after 30s for the whole request.
		opts.LongPollHold = 25 * time.Second
	}
	if opts.ContactPageSize <= 0 {
		opts.ContactPageSize = 100
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		opts:      opts,
		log:       log.With("component", "wxsim"),
		changed:   make(chan struct{}),
		byID:      map[string]*contact{},
		pendings:  map[string]*pendingLogin{},
		tickets:   map[string]*pendingLogin{},
		sessions:  map[string]*session{},
		msgByID:   map[string]*simMsg{},
		media:     map[string]*mediaFile{},
		uploads:   map[string]*upload{},
		checks:    map[string]checkInfo{},
		byDigest:  map[string]string{},
		sentMedia: map[int64]*mediaFile{},
		subs:      map[int]chan Sent{},
		rng:       mrand.New(mrand.NewSource(opts.Seed)),
	}
	s.self = &contact{id: "self", nick: opts.SelfNickName, kind: kindSelf, avatarSeq: 600000000}
	s.byID["self"] = s.self

	if opts.DataDir == "" {
		dir, err := os.MkdirTemp("", "wxsim-*")
		if err != nil {
			panic(fmt.Errorf("wxsim: temp dir: %w", err))
		}
		s.dataDir, s.ownDir = dir, true
	} else {
		if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
			panic(fmt.Errorf("wxsim: data dir: %w", err))
		}
		s.dataDir = opts.DataDir
	}
	for _, sub := range []string{"media", "uploads"} {
		if err := os.MkdirAll(filepath.Join(s.dataDir, sub), 0o755); err != nil {
			panic(fmt.Errorf("wxsim: data dir: %w", err))
		}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Errorf("wxsim: listen: %w", err))
	}
	s.ln = ln
	s.url = "http://" + ln.Addr().String()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.handler = s.buildHandler()
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
	}
	s.rt = &http.Transport{
		Proxy:               nil, // never route the fake hosts through HTTPS_PROXY
		MaxIdleConnsPerHost: 32,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}
	s.serveWG.Add(1)
	go func() {
		defer s.serveWG.Done()
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve", "err", err)
		}
	}()
	s.log.Info("started", "url", s.url, "data_dir", s.dataDir)
	return s
}

// Close stops the listener, wakes all held long-polls, waits for in-flight
// handlers, closes subscriber channels and removes the temp data dir (if the
// server created it). It is safe to call more than once.
func (s *Server) Close() {
	s.once.Do(func() {
		s.cancel()
		s.mu.Lock()
		s.closed = true
		s.broadcastLocked()
		s.mu.Unlock()
		// Not Shutdown: it waits up to 5s for connections the client's
		// transport dialed but never used. Close cuts every connection, which
		// also unblocks handlers stuck reading a body; then wait for them so
		// the data dir is not removed under their feet.
		_ = s.srv.Close()
		s.serveWG.Wait()
		s.reqWG.Wait()
		s.rt.CloseIdleConnections()
		s.mu.Lock()
		for id, ch := range s.subs {
			close(ch)
			delete(s.subs, id)
		}
		ups := make([]*upload, 0, len(s.uploads))
		for _, u := range s.uploads {
			ups = append(ups, u)
		}
		s.mu.Unlock()
		// Outside s.mu: upload locks are taken before s.mu elsewhere.
		for _, u := range ups {
			u.closeFile()
		}
		if s.ownDir {
			_ = os.RemoveAll(s.dataDir)
		}
	})
}

// URL is the base URL of the loopback listener, e.g. http://127.0.0.1:41234.
func (s *Server) URL() string { return s.url }

// Handler is the complete HTTP handler (fake WeChat hosts, routed by Host,
// plus the /_sim/ control API), e.g. to mount behind a TLS proxy.
func (s *Server) Handler() http.Handler { return s.handler }

// Transport returns a RoundTripper that sends every request to the simulator
// while keeping the original host in req.Host. Because the URL the client
// (and its cookie jar) sees is unchanged, cookie scoping behaves exactly as
// against the real service.
func (s *Server) Transport() http.RoundTripper { return rewriteRT{s: s} }

type rewriteRT struct{ s *Server }

func (t rewriteRT) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Host = req.URL.Host
	r.URL.Scheme = "http"
	r.URL.Host = t.s.ln.Addr().String()
	resp, err := t.s.rt.RoundTrip(r)
	if err != nil {
		return nil, fmt.Errorf("wxsim transport %s %s: %w", req.Method, req.URL.Host, err)
	}
	// Report the original request so redirects/cookies are judged against it.
	resp.Request = req
	return resp, nil
}

// broadcastLocked wakes every goroutine waiting for a state change.
// Callers hold s.mu.
func (s *Server) broadcastLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// waitChange waits until cond() (evaluated under s.mu) is true or ctx ends.
func (s *Server) waitChange(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		if cond() {
			s.mu.Unlock()
			return nil
		}
		if s.closed {
			s.mu.Unlock()
			return errors.New("wxsim: server closed")
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("wxsim: wait: %w", ctx.Err())
		}
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// parentCookieDomain returns ".qq.com" for "wx.qq.com": the real service
// scopes webwx_data_ticket to the parent domain so file.<D> receives it.
func parentCookieDomain(domain string) string {
	host := domain
	if h, _, err := net.SplitHostPort(domain); err == nil {
		host = h
	}
	if i := strings.IndexByte(host, '.'); i >= 0 && strings.Count(host, ".") >= 2 {
		return host[i:]
	}
	return host
}
