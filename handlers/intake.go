package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"dudaobot/clock"
	"dudaobot/rules"
)

// Options configures New.
type Options struct {
	// The stores; *storage.Store implements all four.
	Inbox       InboxStore
	Submissions SubmissionStore
	Broadcasts  BroadcastStore
	State       StateStore

	Files  Files
	Ledger Ledger // nil: 导出 answers that export is not available
	// Scores and Scoring serve 成绩 and 结果清单 (scores.go); either nil:
	// they answer that scoring is not enabled.
	Scores  ScoreStore
	Scoring *rules.ScoringModel
	// Sheets reads incoming workbooks for the recogniser (sheets.go) and
	// ScoreSheets the score templates (scoresheets.go); nil: every .xlsx is
	// filed as a document, and 自评表/评分表 answer that scoring is off.
	Sheets      SheetReader
	ScoreSheets ScoreSheets
	// Lists writes a long answer's list as a workbook (未回复, 催办 全部;
	// longanswer.go); nil: such an answer is its summary alone.
	Lists ListSheets
	// AnnualReport is 报告's draft (nil: 报告 answers it is not available);
	// Board draws 总览 as pictures (nil: 总览 is text only).
	AnnualReport AnnualReport
	Board        OverviewBoard
	// Problems keeps the problem lists and rectification items (nil: the
	// problem commands answer that the feature is off). PlanNextYear lets
	// a plan's dates fall in the next year too (calendar.plan_next_year).
	Problems     ProblemStore
	PlanNextYear bool
	// ProblemSheets writes the problem workbooks 反馈 sends (the list when
	// long, the plan template) and reads the filled ones back (nil: 反馈
	// sends the list as text only).
	ProblemSheets ProblemSheets
	Clock         clock.Clock
	Logger        *slog.Logger

	// Calendar is the config calendar; DB overrides (督导结束) are overlaid
	// through SubmissionStore.Calendar whenever deadlines are computed.
	Calendar  rules.Calendar
	Units     []rules.Unit
	Directors []rules.Director
	// Inspectors (督学) may send the 评分表 and nothing else.
	Inspectors []rules.Inspector

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
var ErrStopped = errors.New("handlers: intake stopped")

// Intake receives the inbound messages. On the adapter's sync goroutine it
// records each one (the durable inbox row is the dedupe), then queues it to
// its sender's worker, where the sender is identified (the remark, or this
// session's code binding), rate-limited and authorised before the route of
// Conversations' menu runs; the worker writes the replies with the inbox
// row's handled mark.
//
// Intake never holds a mutex across I/O. Its state lives in small types,
// each with its own mutex held only to read or update a map: workers (the
// per-sender queues), bindings (the sessions bound by code), strangers (the
// memory of unknown contacts) and rateLimiter. Intake's own mu guards only
// the bot's name.
type Intake struct {
	inbox     InboxStore
	clock     clock.Clock
	log       *slog.Logger
	groups    map[string]bool
	sync      bool // Options.Synchronous
	mux       *Router
	handler   Handler // the whole chain (Accept, Recover)
	recorded  Handler // the chain after dedupe (AcceptBatch)
	rep       replier
	binds     *bindings
	strangers *strangers
	rate      *rateLimiter
	work      *workers

	mu   sync.Mutex
	name string // the bot's nickname (SetBotName)
}

// New checks the options and builds the two halves of the bot: the Intake
// the WeChat adapter feeds, and the Conversations whose menu it runs.
func New(o Options) (*Intake, *Conversations, error) {
	switch {
	case o.Inbox == nil || o.Submissions == nil || o.Broadcasts == nil || o.State == nil:
		return nil, nil, errors.New("handlers: new: Inbox, Submissions, Broadcasts and State stores are required")
	case o.Files == nil:
		return nil, nil, errors.New("handlers: new: Files is required")
	case o.Clock == nil:
		return nil, nil, errors.New("handlers: new: Clock is required")
	case o.Calendar.Year == 0:
		return nil, nil, errors.New("handlers: new: Calendar.Year is required")
	case len(o.Units) == 0:
		return nil, nil, errors.New("handlers: new: no units")
	case len(o.CodeKey) < MinCodeKeyBytes:
		return nil, nil, fmt.Errorf("handlers: new: CodeKey has %d bytes, need at least %d", len(o.CodeKey), MinCodeKeyBytes)
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
	e := newEnv(o)
	binds := newBindings(e, o.Inbox)
	c := newConversations(e, binds)
	in := &Intake{
		inbox: o.Inbox, clock: o.Clock, log: o.Logger, groups: map[string]bool{}, sync: o.Synchronous,
		mux: c.routes(), rep: e.replier, binds: binds, name: o.BotName,
		strangers: newStrangers(e.replier, e.loc),
		rate:      newRateLimiter(e.replier, o.RateLimit),
		work:      newWorkers(),
	}
	for _, g := range o.Groups {
		in.groups[g] = true
	}
	in.handler = in.middleware()(c.serve)
	in.recorded = in.afterDedupe()(c.serve)
	return in, c, nil
}

// Accept takes one inbound message. The WeChat adapter calls it on its
// single sync goroutine, in arrival order, before it persists its sync
// position: recover, log and dedupe run here (a durable inbox row for known
// senders), then the message is queued to its sender's worker. Accept
// returns once the message is recorded; an error means it was not, and the
// adapter must not move its sync position past it.
func (d *Intake) Accept(ctx context.Context, in rules.Inbound) error {
	if in.Group != "" && !d.groups[in.Group] {
		return nil // not a group we serve: ignored, nothing stored
	}
	if d.work.stopped() {
		return ErrStopped
	}
	return d.handler(ctx, d.request(in, false))
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
func (d *Intake) AcceptBatch(ctx context.Context, ins []rules.Inbound) error {
	if d.work.stopped() {
		return ErrStopped
	}
	type item struct {
		r     *Request
		known bool
		rec   int // index into recs for known senders
	}
	items := make([]item, 0, len(ins))
	var recs []rules.InboundRecord
	for _, in := range ins {
		if in.Group != "" && !d.groups[in.Group] {
			continue // not a group we serve: ignored, nothing stored
		}
		r := d.request(in, false)
		logInbound(d.log, r)
		rec, known := d.inboxRecord(r)
		if known {
			items = append(items, item{r: r, known: true, rec: len(recs)})
			recs = append(recs, rec)
			continue
		}
		items = append(items, item{r: r})
	}
	isNew, err := d.inbox.RecordInboundBatch(ctx, recs)
	if err != nil {
		d.log.Error("inbound batch not recorded", slog.Int("messages", len(recs)), slog.Any("err", err))
		return fmt.Errorf("handlers: record inbound batch: %w", err)
	}
	queue := recoverer(d.log)(d.recorded)
	var errs []error
	for _, it := range items {
		if d.duplicate(it.r, it.known, it.known && !isNew[it.rec]) {
			continue
		}
		if err := queue(ctx, it.r); err != nil {
			d.log.Error("inbound not queued", slog.String("msg_id", it.r.In.Key.MsgID), slog.Any("err", err))
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// request is the Request of one inbound message, routed: the menu's word
// and arguments are read here, before the sender is known.
func (d *Intake) request(in rules.Inbound, recovered bool) *Request {
	r := &Request{In: in, At: in.ReceivedAt, recovered: recovered}
	if r.At.IsZero() {
		r.At = d.clock.Now()
	}
	d.mux.parse(r, d.botName())
	return r
}

// Start lets the workers run. Messages accepted before Start wait in their
// queues. Cancelling ctx does not abort messages in progress; use Stop.
func (d *Intake) Start(ctx context.Context) { d.work.start(ctx) }

// Stop refuses new messages and waits until every queued message has been
// handled (the queue drains), or ctx ends.
func (d *Intake) Stop(ctx context.Context) error { return d.work.stop(ctx) }

// Wait blocks until no message is queued or running. Tests use it after
// Accept when Synchronous is false.
func (d *Intake) Wait() { d.work.wait() }

// Recover re-runs, at start, the text messages that were recorded but never
// handled (the process died in between) and asks the senders of unhandled
// files to send them again: the download link of a file does not survive.
func (d *Intake) Recover(ctx context.Context) error {
	if err := d.binds.load(ctx); err != nil {
		d.log.Warn("restoring code bindings", slog.Any("err", err))
	}
	recs, err := d.inbox.UnhandledInbound(ctx)
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
		if err := d.handler(ctx, d.request(in, true)); err != nil {
			return fmt.Errorf("handlers: recover %s/%s: %w", rec.Key.Sender, rec.Key.MsgID, err)
		}
	}
	d.log.Info("recovered unhandled messages", slog.Int("count", len(recs)))
	return nil
}

// SetBotName sets the bot's own nickname, so that an @mention of the bot in
// a group is dropped before the command word is read. The WeChat adapter
// learns the name only at login, after the Intake is built.
func (d *Intake) SetBotName(name string) {
	d.mu.Lock()
	d.name = name
	d.mu.Unlock()
}

func (d *Intake) botName() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.name
}

// ContactsSeen takes the contact list the adapter fetched (see
// bindings.contactsSeen).
func (d *Intake) ContactsSeen(ctx context.Context, contacts []rules.Contact) error {
	return d.binds.contactsSeen(ctx, contacts)
}

// ForgetSessions ends every code binding; the adapter calls it when the
// WeChat session changes (see bindings.forget).
func (d *Intake) ForgetSessions(ctx context.Context) error {
	return d.binds.forget(ctx)
}
