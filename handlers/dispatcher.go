package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"dudaobot/clock"
	"dudaobot/docstore"
	"dudaobot/rules"
)

// Store is the part of *storage.Store the conversations use.
type Store interface {
	Calendar(ctx context.Context, year int, loc *time.Location) (rules.Calendar, error)
	SetInspectionEnd(ctx context.Context, year int, d rules.Date, actor string) error
	SetInspected(ctx context.Context, year int, unitKeys []string, actor string) error
	Inspected(ctx context.Context, year int) (rules.Inspected, error)

	UnitYears(ctx context.Context, year int) ([]rules.UnitYear, error)
	UnitYear(ctx context.Context, year int, unitKey string) (rules.UnitYear, error)
	AddSubmission(ctx context.Context, sub rules.Submission, actor string,
		outs func(saved rules.Submission) []rules.Outgoing) (rules.Submission, error)
	RefileSubmission(ctx context.Context, id int64, stage rules.Stage, onTime bool, actor string,
		outs func(saved rules.Submission) []rules.Outgoing) (rules.Submission, error)
	Submissions(ctx context.Context, year int, unitKey string) ([]rules.Submission, error)
	WithdrawSubmission(ctx context.Context, id int64, actor string, at time.Time,
		outs func(was rules.Submission) []rules.Outgoing) (rules.Submission, error)
	SetRectificationDue(ctx context.Context, year int, unitKey string, d rules.Date, actor string) error

	RecordFeedback(ctx context.Context, f rules.FeedbackDelivery, outs []rules.Outgoing) (rules.FeedbackDelivery, error)
	CreateBroadcast(ctx context.Context, b rules.Broadcast, outs []rules.Outgoing) (rules.Broadcast, error)
	AcknowledgeOpen(ctx context.Context, year int, unitKey, remark string, at time.Time) ([]rules.Broadcast, error)
	Unacknowledged(ctx context.Context, broadcastID int64) ([]string, error)
	Broadcasts(ctx context.Context, year int) ([]rules.Broadcast, error)

	RecordInbound(ctx context.Context, k rules.InboundKey, kind rules.MsgKind, text string, at time.Time) (bool, error)
	RecordInboundBatch(ctx context.Context, recs []rules.InboundRecord) ([]bool, error)
	MarkInboundHandled(ctx context.Context, k rules.InboundKey) error
	FinishInbound(ctx context.Context, k rules.InboundKey, outs []rules.Outgoing) error
	UnhandledInbound(ctx context.Context) ([]rules.InboundRecord, error)

	Enqueue(ctx context.Context, msgs ...rules.Outgoing) error
	RecordReminder(ctx context.Context, r rules.ReminderRecord, outs []rules.Outgoing) (bool, error)

	Audit(ctx context.Context, e rules.AuditEntry) error
	GetState(ctx context.Context, key string) (string, bool, error)
	PutState(ctx context.Context, key, value string) error
	DeleteState(ctx context.Context, key string) error

	// Code bindings (bind.go).
	ClaimBindingCode(ctx context.Context, codeHash string, b rules.Binding, ttl time.Duration) (rules.Binding, error)
	ActiveBindings(ctx context.Context) ([]rules.Binding, error)
	EndBindings(ctx context.Context, remark, reason, actor string, at time.Time) ([]rules.Binding, error)
	BindFailures(ctx context.Context, key string) (int, error)
	AddBindFailure(ctx context.Context, key string) (int, error)
}

// Files stores received documents; *docstore.Store implements it.
type Files interface {
	Put(ctx context.Context, r io.Reader, o docstore.PutOptions) (docstore.Blob, error)
	PutBytes(ctx context.Context, b []byte, o docstore.PutOptions) (docstore.Blob, error)
	Open(path string) (*os.File, error)
}

// Ledger writes the year's Excel ledger (the same file as `dudaobot export`).
type Ledger interface {
	WriteLedger(ctx context.Context, year int, w io.Writer) error
}

// Options configures a Dispatcher.
type Options struct {
	Store  Store
	Files  Files
	Ledger Ledger // nil: 导出 answers that export is not available
	Clock  clock.Clock
	Logger *slog.Logger

	// Calendar is the config calendar; DB overrides (督导结束) are overlaid
	// through Store.Calendar whenever deadlines are computed.
	Calendar  rules.Calendar
	Units     []rules.Unit
	Directors []rules.Director

	MaxFileBytes int64 // files larger than this are refused (0: no limit)
	// UnitDailyBytes bounds the bytes a unit's people store per day (0: no
	// limit); see files.go.
	UnitDailyBytes int64
	AllowedTypes   []string // extensions without dot, e.g. docx, pdf
	Groups         []string // group chats handled; messages from other groups are ignored
	BotName        string   // the bot's own nickname, to drop an @mention

	// Reports reads self-assessment reports for the content check (nil:
	// no check). Indicators are Annex 2's, with their keywords.
	Reports    ReportReader
	Indicators []rules.Indicator
	// ReportCheckBudget is how long a receipt waits for the check (0:
	// DefaultReportCheckBudget; negative: it never waits, the result
	// always follows as its own message).
	ReportCheckBudget time.Duration

	// ErrNotFound is the Store's not-found sentinel (storage.ErrNotFound),
	// so that an unknown binding code is told apart from a database
	// failure without importing storage. nil: every error counts as failure.
	ErrNotFound error

	// Synchronous runs every message to completion inside Accept, on the
	// caller's goroutine. Tests use it; production leaves it false.
	Synchronous bool

	// CodeKey is the server secret binding codes are stored under
	// (HashCode); at least MinCodeKeyBytes. It never reaches the database.
	CodeKey []byte
	// CodeTTL is how long a binding code stays usable after it was issued
	// (0: rules.DefaultCodeTTL).
	CodeTTL time.Duration

	// RateLimit is how many texts one sender may send in a minute before
	// flood control silences them for a minute (ratelimit.go). 0 means
	// DefaultRateLimit; a negative value turns flood control off — this
	// limit and the replacing of a queued read-only answer by a newer one
	// (readOnly) — for load tests that count one answer per message.
	RateLimit int
}

// DefaultRateLimit is Options.RateLimit when it is 0.
const DefaultRateLimit = 20

// ErrStopped is returned by Accept after Stop.
var ErrStopped = errors.New("handlers: dispatcher stopped")

// Dispatcher receives inbound messages and runs the conversations.
type Dispatcher struct {
	o         Options
	store     Store
	files     Files
	clock     clock.Clock
	log       *slog.Logger
	loc       *time.Location
	year      int
	mux       *Router
	handler   Handler               // the whole chain (Accept, Recover)
	recorded  Handler               // the chain after dedupe (AcceptBatch)
	units     map[string]rules.Unit // by key
	people    map[string]rules.Identity
	officials map[string][]rules.Official // unit key → officials (not backups)
	groups    map[string]bool
	allowed   map[string]bool

	mu       sync.Mutex
	sessions map[string]string     // UserName → remark, bound by code (the bindings table's active rows)
	refused  map[string]rules.Date // stranger UserName → day of the last refusal
	seen     map[string]struct{}   // strangers' message keys (never stored)
	seenOld  map[string]struct{}
	queues   map[string]*queue
	rates    map[string]*senderRate // sender → recent commands (ratelimit.go)
	started  bool
	stopping bool
	runCtx   context.Context
	wg       sync.WaitGroup
	checks   sync.WaitGroup // report checks and their follow-ups (reportcheck.go)
}

type queue struct {
	jobs    []func()
	running bool
}

// New checks the options and builds the Dispatcher with its menu.
func New(o Options) (*Dispatcher, error) {
	switch {
	case o.Store == nil:
		return nil, errors.New("handlers: new: Store is required")
	case o.Files == nil:
		return nil, errors.New("handlers: new: Files is required")
	case o.Clock == nil:
		return nil, errors.New("handlers: new: Clock is required")
	case o.Calendar.Year == 0:
		return nil, errors.New("handlers: new: Calendar.Year is required")
	case len(o.Units) == 0:
		return nil, errors.New("handlers: new: no units")
	case len(o.CodeKey) < MinCodeKeyBytes:
		return nil, fmt.Errorf("handlers: new: CodeKey has %d bytes, need at least %d", len(o.CodeKey), MinCodeKeyBytes)
	}
	if o.CodeTTL == 0 {
		o.CodeTTL = rules.DefaultCodeTTL
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ReportCheckBudget == 0 {
		o.ReportCheckBudget = DefaultReportCheckBudget
	}
	if o.RateLimit == 0 {
		o.RateLimit = DefaultRateLimit
	}
	if o.Calendar.Location == nil {
		o.Calendar.Location = time.Local
	}
	d := &Dispatcher{
		o: o, store: o.Store, files: o.Files, clock: o.Clock, log: o.Logger,
		loc: o.Calendar.Location, year: o.Calendar.Year,
		units: map[string]rules.Unit{}, people: map[string]rules.Identity{},
		officials: map[string][]rules.Official{}, groups: map[string]bool{}, allowed: map[string]bool{},
		sessions: map[string]string{}, refused: map[string]rules.Date{},
		seen: map[string]struct{}{}, seenOld: map[string]struct{}{}, queues: map[string]*queue{},
		rates: map[string]*senderRate{},
	}
	for _, u := range o.Units {
		d.units[u.Key] = u
		for _, p := range u.Officials {
			if p.WeChatRemark == "" {
				continue
			}
			d.people[p.WeChatRemark] = rules.Identity{Role: rules.RoleOfficial, Name: p.Name, Remark: p.WeChatRemark, UnitKey: u.Key}
			d.officials[u.Key] = append(d.officials[u.Key], p)
		}
		if b := u.Backup; b != nil && b.WeChatRemark != "" {
			// A backup acts for the unit when the official is away.
			d.people[b.WeChatRemark] = rules.Identity{Role: rules.RoleOfficial, Name: b.Name, Remark: b.WeChatRemark, UnitKey: u.Key}
		}
	}
	for _, dir := range o.Directors {
		if dir.WeChatRemark == "" {
			continue
		}
		id := rules.Identity{Role: rules.RoleDirector, Name: dir.Name, Remark: dir.WeChatRemark}
		if prev, ok := d.people[dir.WeChatRemark]; ok {
			id.UnitKey = prev.UnitKey // a director may also answer for the office's own unit
		}
		d.people[dir.WeChatRemark] = id
	}
	for _, g := range o.Groups {
		d.groups[g] = true
	}
	for _, t := range o.AllowedTypes {
		d.allowed[normExt(t)] = true
	}
	d.mux = d.routes()
	d.handler = d.middleware()(d.serve)
	d.recorded = d.afterDedupe()(d.serve)
	return d, nil
}

// Accept takes one inbound message. The WeChat adapter calls it on its
// single sync goroutine, in arrival order, before it persists its sync
// position: recover, log and dedupe run here (a durable inbox row for known
// senders), then the message is queued to its sender's worker. Accept
// returns once the message is recorded; an error means it was not, and the
// adapter must not move its sync position past it.
func (d *Dispatcher) Accept(ctx context.Context, in rules.Inbound) error {
	if in.Group != "" && !d.groups[in.Group] {
		return nil // not a group we serve: ignored, nothing stored
	}
	d.mu.Lock()
	stopping := d.stopping
	d.mu.Unlock()
	if stopping {
		return ErrStopped
	}
	r := &Request{In: in, At: in.ReceivedAt}
	if r.At.IsZero() {
		r.At = d.clock.Now()
	}
	d.mux.parse(r, d.botName())
	return d.handler(ctx, r)
}

// AcceptBatch is Accept for the messages of one WeChat sync batch, in
// arrival order: the inbox rows of every known sender's message are written
// in ONE transaction (one commit instead of one per message), then each new
// message is queued to its sender's worker exactly as Accept queues it.
// Strangers are deduplicated in memory as in Accept, but only once the
// batch is recorded, so a failed batch retried by the adapter loses none.
// An error means the batch was not recorded (or, after the commit, that
// queueing one message panicked, as Accept reports it): the adapter retries
// the whole batch, and the inbox rows make the retry a no-op for what was
// recorded.
func (d *Dispatcher) AcceptBatch(ctx context.Context, ins []rules.Inbound) error {
	d.mu.Lock()
	stopping := d.stopping
	d.mu.Unlock()
	if stopping {
		return ErrStopped
	}
	type item struct {
		r     *Request
		known bool
		rec   int // index into recs for known senders
	}
	items := make([]item, 0, len(ins))
	var recs []rules.InboundRecord
	name := d.botName()
	for _, in := range ins {
		if in.Group != "" && !d.groups[in.Group] {
			continue // not a group we serve: ignored, nothing stored
		}
		r := &Request{In: in, At: in.ReceivedAt}
		if r.At.IsZero() {
			r.At = d.clock.Now()
		}
		d.mux.parse(r, name)
		d.logInbound(r)
		id, known := d.lookup(r.In.From)
		if !known {
			r.sender = "u:" + r.In.From.UserName
			items = append(items, item{r: r})
			continue
		}
		// The dedupe key is the identity, never the per-session UserName.
		r.In.Key.Sender = id.Remark
		r.sender = id.Remark
		text := r.In.Text
		if r.In.File != nil {
			text = r.In.File.Name // shown again if the file must be resent
		}
		items = append(items, item{r: r, known: true, rec: len(recs)})
		recs = append(recs, rules.InboundRecord{Key: r.In.Key, Kind: r.In.Kind, Text: text, ReceivedAt: r.At})
	}
	isNew, err := d.store.RecordInboundBatch(ctx, recs)
	if err != nil {
		d.log.Error("inbound batch not recorded", slog.Int("messages", len(recs)), slog.Any("err", err))
		return fmt.Errorf("handlers: record inbound batch: %w", err)
	}
	queue := d.recoverer(d.recorded)
	var errs []error
	for _, it := range items {
		r := it.r
		if it.known && !isNew[it.rec] {
			d.log.Info("duplicate dropped", slog.String("msg_id", r.In.Key.MsgID), slog.String("remark", r.In.Key.Sender))
			continue
		}
		if !it.known && d.seenStranger(r.sender+"|"+r.In.Key.MsgID+"|"+strconv.FormatInt(r.In.Key.CreateTime, 10)) {
			d.log.Info("duplicate dropped", slog.String("msg_id", r.In.Key.MsgID))
			continue
		}
		if err := queue(ctx, r); err != nil {
			d.log.Error("inbound not queued", slog.String("msg_id", r.In.Key.MsgID), slog.Any("err", err))
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Start lets the workers run. Messages accepted before Start wait in their
// queues. Cancelling ctx does not abort messages in progress; use Stop.
func (d *Dispatcher) Start(ctx context.Context) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.started {
		return
	}
	d.started = true
	// Handlers finish their message even while the process shuts down:
	// a receipt half-written is worse than a slower exit.
	d.runCtx = context.WithoutCancel(ctx)
	for key, q := range d.queues {
		if len(q.jobs) > 0 && !q.running {
			d.spawn(key, q)
		}
	}
}

// Stop refuses new messages and waits until every queued message has been
// handled (the queue drains), or ctx ends.
func (d *Dispatcher) Stop(ctx context.Context) error {
	d.mu.Lock()
	d.stopping = true
	if !d.started {
		d.started = true
		d.runCtx = context.WithoutCancel(ctx)
		for key, q := range d.queues {
			if len(q.jobs) > 0 && !q.running {
				d.spawn(key, q)
			}
		}
	}
	d.mu.Unlock()
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("handlers: stop: %w", ctx.Err())
	}
}

// Wait blocks until no message is queued or running. Tests use it after
// Accept when Synchronous is false.
func (d *Dispatcher) Wait() { d.wg.Wait() }

// enqueueJob appends job to the sender's queue; its worker runs the jobs
// one at a time, in order.
func (d *Dispatcher) enqueueJob(sender string, job func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	q := d.queues[sender]
	if q == nil {
		q = &queue{}
		d.queues[sender] = q
	}
	q.jobs = append(q.jobs, job)
	if d.started && !q.running {
		d.spawn(sender, q)
	}
}

// spawn starts the worker of one sender; d.mu is held.
func (d *Dispatcher) spawn(sender string, q *queue) {
	q.running = true
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		for {
			d.mu.Lock()
			if len(q.jobs) == 0 {
				q.running = false
				delete(d.queues, sender)
				d.mu.Unlock()
				return
			}
			job := q.jobs[0]
			q.jobs = q.jobs[1:]
			d.mu.Unlock()
			job()
		}
	}()
}

// Recover re-runs, at start, the text messages that were recorded but never
// handled (the process died in between) and asks the senders of unhandled
// files to send them again: the download link of a file does not survive.
func (d *Dispatcher) Recover(ctx context.Context) error {
	if err := d.loadSessions(ctx); err != nil {
		d.log.Warn("restoring code bindings", slog.Any("err", err))
	}
	recs, err := d.store.UnhandledInbound(ctx)
	if err != nil {
		return fmt.Errorf("handlers: recover: %w", err)
	}
	for _, rec := range recs {
		in := rules.Inbound{
			Key:        rec.Key,
			From:       rules.Contact{Remark: rec.Key.Sender},
			Kind:       rec.Kind,
			Text:       rec.Text,
			ReceivedAt: rec.ReceivedAt,
		}
		r := &Request{In: in, At: rec.ReceivedAt, recovered: true}
		if r.At.IsZero() {
			r.At = d.clock.Now()
		}
		d.mux.parse(r, d.botName())
		if err := d.handler(ctx, r); err != nil {
			return fmt.Errorf("handlers: recover %s/%s: %w", rec.Key.Sender, rec.Key.MsgID, err)
		}
	}
	d.log.Info("recovered unhandled messages", slog.Int("count", len(recs)))
	return nil
}

// SetBotName sets the bot's own nickname, so that an @mention of the bot in
// a group is dropped before the command word is read. The WeChat adapter
// learns the name only at login, after the Dispatcher is built.
func (d *Dispatcher) SetBotName(name string) {
	d.mu.Lock()
	d.o.BotName = name
	d.mu.Unlock()
}

func (d *Dispatcher) botName() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.o.BotName
}

// lookup resolves a contact to a configured person: by the remark, or by a
// code binding of this session. NickName never counts.
func (d *Dispatcher) lookup(c rules.Contact) (rules.Identity, bool) {
	if c.Remark != "" {
		if id, ok := d.people[c.Remark]; ok {
			return id, true
		}
	}
	if c.UserName == "" {
		return rules.Identity{}, false
	}
	d.mu.Lock()
	remark, ok := d.sessions[c.UserName]
	d.mu.Unlock()
	if !ok {
		return rules.Identity{}, false
	}
	id, ok := d.people[remark]
	return id, ok
}

// calendar is the year's calendar with the DB overrides (督导结束) applied.
func (d *Dispatcher) calendar(ctx context.Context) (rules.Calendar, error) {
	c, err := d.store.Calendar(ctx, d.year, d.loc)
	if err != nil {
		if d.isNotFound(err) {
			return d.o.Calendar, nil
		}
		return rules.Calendar{}, fmt.Errorf("handlers: calendar: %w", err)
	}
	if c.Location == nil {
		c.Location = d.loc
	}
	return c, nil
}

func (d *Dispatcher) isNotFound(err error) bool {
	return d.o.ErrNotFound != nil && errors.Is(err, d.o.ErrNotFound)
}

// unitNow is what a handler acting for one unit reads first: the unit, the
// calendar with the director's overrides, and the unit's year so far.
func (d *Dispatcher) unitNow(ctx context.Context, unitKey string) (rules.Unit, rules.Calendar, rules.UnitYear, error) {
	unit := d.units[unitKey]
	cal, err := d.calendar(ctx)
	if err != nil {
		return unit, rules.Calendar{}, rules.UnitYear{}, err
	}
	uy, err := d.store.UnitYear(ctx, d.year, unit.Key)
	if err != nil {
		return unit, cal, rules.UnitYear{}, fmt.Errorf("handlers: unit year %s: %w", unit.Key, err)
	}
	return unit, cal, uy, nil
}
