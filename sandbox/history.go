package sandbox

import (
	"sync"
	"time"

	"dudaobot/wxsim"
)

// message is one chat line in the sandbox: what a person sent the bot
// (recorded when the page sends it through the simulator) or what the bot
// sent a person (from the simulator's feed).
type message struct {
	ID       int64
	Contact  string // wxsim contact id
	FromBot  bool
	Kind     string // "text" | "file" | "image" | …
	Text     string
	FileName string
	Size     int64
	SentSeq  int64 // bot messages: the simulator's sequence (file download)
	At       time.Time
}

// history keeps every chat line of this run, per contact, with unread
// counts of the bot's messages. Safe for concurrent use.
type history struct {
	mu     sync.Mutex
	known  map[string]*person
	next   int64
	byID   map[string][]*message
	unread map[string]int
	sent   map[int64]*message // SentSeq → bot message
}

func newHistory(known map[string]*person) *history {
	return &history{
		known:  known,
		byID:   map[string][]*message{},
		unread: map[string]int{},
		sent:   map[int64]*message{},
	}
}

func (h *history) addLocked(m *message) message {
	h.next++
	m.ID = h.next
	h.byID[m.Contact] = append(h.byID[m.Contact], m)
	return *m
}

// addPerson records a message a person sent.
func (h *history) addPerson(m message) message {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.addLocked(&m)
}

// addBot records a message the bot sent; ok is false for a recipient the
// sandbox does not know (the file helper).
func (h *history) addBot(s wxsim.Sent, at time.Time) (m message, unread int, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.known[s.ToID] == nil {
		return message{}, 0, false
	}
	p := &message{
		Contact: s.ToID, FromBot: true, Kind: s.Kind, Text: s.Text,
		FileName: s.FileName, Size: s.Size, SentSeq: s.Seq, At: at,
	}
	m = h.addLocked(p)
	h.sent[s.Seq] = p
	h.unread[s.ToID]++
	return m, h.unread[s.ToID], true
}

// messages returns a contact's chat, oldest first.
func (h *history) messages(contact string) []message {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]message, 0, len(h.byID[contact]))
	for _, m := range h.byID[contact] {
		out = append(out, *m)
	}
	return out
}

// markRead resets a contact's unread count.
func (h *history) markRead(contact string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.unread, contact)
}

func (h *history) unreadOf(contact string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.unread[contact]
}

// last returns a contact's newest message.
func (h *history) last(contact string) (message, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	l := h.byID[contact]
	if len(l) == 0 {
		return message{}, false
	}
	return *l[len(l)-1], true
}

// sentFile returns the bot message with the simulator sequence seq.
func (h *history) sentFile(seq int64) (message, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.sent[seq]
	if m == nil {
		return message{}, false
	}
	return *m, true
}

// hub fans events out to the page's event streams. A subscriber that
// falls behind is dropped (its stream ends; the browser reconnects and
// reloads), so a stalled tab never blocks the sandbox.
type hub struct {
	mu   sync.Mutex
	subs map[chan event]struct{}
}

type event struct {
	Name string
	Data any
}

func newHub() *hub { return &hub{subs: map[chan event]struct{}{}} }

func (h *hub) subscribe() (<-chan event, func()) {
	ch := make(chan event, 256)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.subs[ch]; ok {
			delete(h.subs, ch)
			close(ch)
		}
	}
}

func (h *hub) publish(name string, data any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- event{name, data}:
		default:
			delete(h.subs, ch)
			close(ch)
		}
	}
}
