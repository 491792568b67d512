package sandbox

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"dudaobot/rules"
)

//go:embed web
var webFS embed.FS

// maxTextRunes bounds a typed message (WeChat's own limit is far larger,
// but nothing in this bot needs more).
const maxTextRunes = 5000

// routes is the sandbox's web API (JSON), its event stream and the page.
//
//	GET  /api/info                       office, year, bot nick, data folder, simulator URL, online
//	GET  /api/contacts                   [contact] with role, unit and unread count
//	GET  /api/contacts/{id}/messages     the chat with one contact, oldest first
//	POST /api/contacts/{id}/read         reset the unread count
//	POST /api/contacts/{id}/text         {text}: the person sends a text to the bot
//	POST /api/contacts/{id}/file         the file's bytes (application/octet-stream), its name
//	                                     URL-encoded in X-File-Name: the person sends a file
//	GET  /api/events                     SSE: message, read, clock
//	GET  /api/clock                      the simulated clock
//	POST /api/clock                      {date:"2027-03-02", time:"10:30"} jump; {speed:60}
//	GET  /api/compliance                 every unit's status per stage at the simulated now
//	POST /api/digest                     queue the director's digest now
//	GET  /api/files/{seq}                download a file the bot sent
//
// Every /api/ call carries the run's token (X-Sandbox-Token, or ?token= for
// the event stream and downloads); see guard for the other checks.
func (s *Sandbox) routes() http.Handler {
	mux := http.NewServeMux()
	// A contact's routes find the contact of the path's id; only a person,
	// not a group, sends.
	for _, rt := range []struct {
		pattern string
		handle  http.HandlerFunc
	}{
		{"GET /api/info", s.handleInfo},
		{"GET /api/contacts", s.handleContacts},
		{"GET /api/contacts/{id}/messages", s.withContact(s.handleMessages, false)},
		{"POST /api/contacts/{id}/read", s.withContact(s.handleRead, false)},
		{"POST /api/contacts/{id}/text", s.withContact(s.handleText, true)},
		{"POST /api/contacts/{id}/file", s.withContact(s.handleFile, true)},
		{"GET /api/events", s.handleEvents},
		{"GET /api/clock", s.handleClock},
		{"POST /api/clock", s.handleSetClock},
		{"GET /api/compliance", s.handleCompliance},
		{"POST /api/digest", s.handleDigest},
		{"GET /api/files/{seq}", s.handleDownload},
	} {
		mux.HandleFunc(rt.pattern, rt.handle)
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, http.StatusNotFound, "没有这个接口 / no such API: "+r.Method+" "+r.URL.Path)
	})
	sub, _ := fs.Sub(webFS, "web")
	files := http.FileServerFS(sub)
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	}))
	return s.guard(mux)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// --- views ------------------------------------------------------------------

type contactJSON struct {
	*person
	Unread  int    `json:"unread"`
	Preview string `json:"preview,omitempty"`
}

type messageJSON struct {
	ID       int64  `json:"id"`
	Contact  string `json:"contact"`
	From     string `json:"from"` // "bot" | "person"
	Kind     string `json:"kind"`
	Text     string `json:"text,omitempty"`
	FileName string `json:"fileName,omitempty"`
	Size     int64  `json:"size,omitempty"`
	URL      string `json:"url,omitempty"` // download of a file the bot sent
	At       string `json:"at"`            // simulated time, RFC 3339
	Time     string `json:"time"`          // simulated time, as shown
}

type messageEvent struct {
	Message messageJSON `json:"message"`
	Unread  int         `json:"unread"`
}

func (s *Sandbox) view(m message) messageJSON {
	v := messageJSON{
		ID: m.ID, Contact: m.Contact, From: "person", Kind: m.Kind, Text: m.Text,
		FileName: m.FileName, Size: m.Size,
		At: m.At.In(s.loc).Format(time.RFC3339), Time: m.At.In(s.loc).Format("1月2日 15:04"),
	}
	if m.FromBot {
		v.From = "bot"
		if m.Kind != "text" && m.SentSeq > 0 {
			v.URL = "/api/files/" + strconv.FormatInt(m.SentSeq, 10)
		}
	}
	return v
}

func preview(m message) string {
	switch {
	case m.Kind == "text":
		first, _, _ := strings.Cut(m.Text, "\n")
		if utf8.RuneCountInString(first) > 24 {
			first = string([]rune(first)[:24]) + "…"
		}
		return first
	case m.FileName != "":
		return "[文件] " + m.FileName
	}
	return "[" + m.Kind + "]"
}

type clockJSON struct {
	Now     string  `json:"now"`     // RFC 3339
	Date    string  `json:"date"`    // 2027-03-02
	Time    string  `json:"time"`    // 10:30
	Display string  `json:"display"` // 2027年3月2日 星期二 10:30
	Speed   float64 `json:"speed"`   // chosen multiplier (0 = paused)
	Zone    string  `json:"zone"`
	Online  bool    `json:"online"` // the bot's WeChat session
	// Jumping is the target of a fast-forward in progress, as shown ("" = none).
	Jumping string `json:"jumping,omitempty"`
}

func (s *Sandbox) clockState() clockJSON {
	now := s.clock.Now().In(s.loc)
	c := clockJSON{
		Now: now.Format(time.RFC3339), Date: now.Format("2006-01-02"), Time: now.Format("15:04"),
		Display: fmtTime(now, s.loc), Speed: s.Speed(), Zone: s.loc.String(),
		Online: s.app.Bot.Online(),
	}
	if j := s.Jumping(); !j.IsZero() {
		c.Jumping = fmtTime(j, s.loc)
	}
	return c
}

// --- handlers ---------------------------------------------------------------

func (s *Sandbox) handleInfo(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"office":       s.cfg.Office.Name,
		"year":         s.cfg.Calendar().Year,
		"botName":      "督导办机器人",
		"dataDir":      s.o.DataDir,
		"simURL":       s.sim.URL(),
		"online":       s.app.Bot.Online(),
		"maxFileMB":    s.cfg.WeChat.MaxFileMB,
		"allowedTypes": s.cfg.WeChat.AllowedTypes,
	})
}

func (s *Sandbox) handleContacts(w http.ResponseWriter, r *http.Request) {
	out := make([]contactJSON, 0, len(s.people))
	for _, p := range s.people {
		c := contactJSON{person: p, Unread: s.hist.unreadOf(p.ID)}
		if m, ok := s.hist.last(p.ID); ok {
			c.Preview = preview(m)
		}
		out = append(out, c)
	}
	writeJSON(w, http.StatusOK, out)
}

// contactHandler handles a request about the contact named by the path's id.
type contactHandler func(w http.ResponseWriter, r *http.Request, p *person)

// withContact finds the contact of the path's id for h, or answers 404. A
// message from the page (sends) needs a person: groups cannot be typed
// into (a group message needs a member).
func (s *Sandbox) withContact(h contactHandler, sends bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := s.byID[r.PathValue("id")]
		switch {
		case p == nil:
			writeErr(w, http.StatusNotFound, "没有这个联系人 / unknown contact")
		case sends && p.Role == "group":
			writeErr(w, http.StatusBadRequest, "沙盒里不能以群的身份发言，请选择一位联系人 / pick a person, not a group")
		default:
			h(w, r, p)
		}
	}
}

func (s *Sandbox) handleMessages(w http.ResponseWriter, r *http.Request, p *person) {
	ms := s.hist.messages(p.ID)
	out := make([]messageJSON, len(ms))
	for i, m := range ms {
		out[i] = s.view(m)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Sandbox) handleRead(w http.ResponseWriter, r *http.Request, p *person) {
	s.hist.markRead(p.ID)
	s.hub.publish("read", map[string]any{"contact": p.ID, "unread": 0})
	writeJSON(w, http.StatusOK, map[string]any{"contact": p.ID, "unread": 0})
}

func (s *Sandbox) handleText(w http.ResponseWriter, r *http.Request, p *person) {
	var in struct {
		Text string `json:"text"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil {
		writeErr(w, http.StatusBadRequest, "请求格式不对 / bad JSON: "+err.Error())
		return
	}
	if strings.TrimSpace(in.Text) == "" {
		writeErr(w, http.StatusBadRequest, "消息不能为空 / empty message")
		return
	}
	if utf8.RuneCountInString(in.Text) > maxTextRunes {
		writeErr(w, http.StatusBadRequest, fmt.Sprintf("消息太长（最多 %d 字）/ message too long", maxTextRunes))
		return
	}
	if _, err := s.sim.SendText(p.ID, in.Text); err != nil {
		writeErr(w, http.StatusInternalServerError, "模拟微信发送失败 / simulator send failed: "+err.Error())
		return
	}
	m := s.hist.addPerson(message{Contact: p.ID, Kind: "text", Text: in.Text, At: s.clock.Now()})
	v := s.view(m)
	s.hub.publish("message", messageEvent{Message: v, Unread: s.hist.unreadOf(p.ID)})
	writeJSON(w, http.StatusOK, v)
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// cleanFileName keeps the base name of what the browser sent.
func cleanFileName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = strings.TrimSpace(path.Base(name))
	if name == "" || name == "." || name == "/" {
		return "文件"
	}
	return name
}

func (s *Sandbox) handleFile(w http.ResponseWriter, r *http.Request, p *person) {
	// Files above the bot's limit are let through (up to a margin), so the
	// refusal of an oversized file can be tried out too.
	limit := s.cfg.WeChat.MaxFileBytes() + 20<<20
	body := http.MaxBytesReader(w, r.Body, limit)
	raw, err := url.PathUnescape(r.Header.Get(fileNameHeader))
	if err != nil {
		writeErr(w, http.StatusBadRequest, "文件名编码不对（"+fileNameHeader+" 应为 URL 编码） / bad file name header")
		return
	}
	name := cleanFileName(raw)
	cr := &countingReader{r: body}
	if _, err := s.sim.SendFile(p.ID, name, cr); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeErr(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("文件太大，沙盒最多接受 %d MB / file too large", limit>>20))
			return
		}
		writeErr(w, http.StatusInternalServerError, "模拟微信发送文件失败 / simulator send failed: "+err.Error())
		return
	}
	m := s.hist.addPerson(message{Contact: p.ID, Kind: "file", FileName: name, Size: cr.n, At: s.clock.Now()})
	v := s.view(m)
	s.hub.publish("message", messageEvent{Message: v, Unread: s.hist.unreadOf(p.ID)})
	writeJSON(w, http.StatusOK, v)
}

func (s *Sandbox) handleEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		writeErr(w, http.StatusInternalServerError, "streaming unsupported")
		return
	}
	ch, cancel := s.hub.subscribe()
	defer cancel()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(name string, data any) bool {
		b, err := json.Marshal(data)
		if err != nil {
			return false
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, b); err != nil {
			return false
		}
		fl.Flush()
		return true
	}
	fmt.Fprint(w, "retry: 1000\n\n")
	if !send("clock", s.clockState()) {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.closing:
			return
		case ev, ok := <-ch:
			if !ok {
				return // fell behind: the browser reconnects and reloads
			}
			if !send(ev.Name, ev.Data) {
				return
			}
		}
	}
}

func (s *Sandbox) handleClock(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.clockState())
}

func (s *Sandbox) handleSetClock(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Date  string   `json:"date"`
		Time  string   `json:"time"`
		Speed *float64 `json:"speed"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&in); err != nil {
		writeErr(w, http.StatusBadRequest, "请求格式不对 / bad JSON: "+err.Error())
		return
	}
	if in.Speed != nil && (*in.Speed < 0 || *in.Speed > MaxSpeed) {
		writeErr(w, http.StatusBadRequest, fmt.Sprintf("速度应在 0（暂停）到 %d 倍之间 / speed out of range", MaxSpeed))
		return
	}
	var target time.Time
	if in.Date != "" {
		tm := in.Time
		if tm == "" {
			tm = "09:00"
		}
		t, err := time.ParseInLocation("2006-01-02 15:04", in.Date+" "+tm, s.loc)
		if err != nil {
			writeErr(w, http.StatusBadRequest, "日期或时间格式不对，应为 2027-03-02 和 10:30 / bad date or time")
			return
		}
		if year := s.cfg.Calendar().Year; t.Year() > year+1 {
			writeErr(w, http.StatusBadRequest, fmt.Sprintf("最远只能跳到 %d 年底 / too far ahead", year+1))
			return
		}
		target = t
	}
	if in.Speed != nil {
		s.SetSpeed(*in.Speed)
	}
	status := http.StatusOK
	if !target.IsZero() {
		err := s.Jump(target, nil)
		var be *backwardError
		switch {
		case errors.As(err, &be):
			writeErr(w, http.StatusBadRequest, "模拟时钟只能往后拨（现在是 "+fmtTime(be.now, s.loc)+
				"）；要从头再来，请停止沙盒并删除数据目录 / the clock only moves forward")
			return
		case errors.Is(err, errJumping):
			writeErr(w, http.StatusConflict, "正在快进到 "+s.clockState().Jumping+"，请稍候 / a jump is in progress")
			return
		case err != nil:
			writeErr(w, http.StatusServiceUnavailable, "沙盒正在停止 / sandbox stopping")
			return
		}
		s.o.Logger.Info("clock jump started", slog.Time("to", target))
		status = http.StatusAccepted
	} else {
		s.saveClock()
	}
	st := s.clockState()
	s.hub.publish("clock", st)
	writeJSON(w, status, st)
}

type complianceCell struct {
	Stage string `json:"stage"`
	Kind  string `json:"kind"` // not_open | open | on_time | late | overdue | not_applicable
	Text  string `json:"text"`
	Due   string `json:"due,omitempty"` // 3月1日
}

type complianceRow struct {
	Key   string           `json:"key"`
	Name  string           `json:"name"`
	Cells []complianceCell `json:"cells"`
}

// complianceItem is one rectification item of the panel.
type complianceItem struct {
	Unit   string `json:"unit"`
	ID     string `json:"id"`
	Text   string `json:"text"`
	Kind   string `json:"kind"`   // open | planned | due | overdue | reported | returned | closed | extended
	Status string `json:"status"` // 整改中（剩12天）, 上年度遗留·已逾期3天, …
}

var problemKinds = map[rules.ProblemStatusKind]string{
	rules.ProblemOpen: "open", rules.ProblemPlanned: "planned", rules.ProblemDue: "due", rules.ProblemOverdue: "overdue",
	rules.ProblemReported: "reported", rules.ProblemReturned: "returned", rules.ProblemClosed: "closed", rules.ProblemExtended: "extended",
}

type complianceCount struct {
	Stage   string `json:"stage"`
	OnTime  int    `json:"onTime"`
	Late    int    `json:"late"`
	Open    int    `json:"open"`
	Overdue int    `json:"overdue"`
	NotOpen int    `json:"notOpen"`
	// NotApplicable counts units the stage does not apply to (不适用).
	NotApplicable int `json:"notApplicable"`
}

// kindNames are the page's names of the status kinds; any other kind is
// "not_open".
var kindNames = map[rules.StatusKind]string{
	rules.StatusOpen:          "open",
	rules.StatusOnTime:        "on_time",
	rules.StatusLate:          "late",
	rules.StatusOverdue:       "overdue",
	rules.StatusNotApplicable: "not_applicable",
}

func kindName(k rules.StatusKind) string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return "not_open"
}

func (s *Sandbox) handleCompliance(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	year := s.cfg.Calendar().Year
	cal, err := s.app.Store.Calendar(ctx, year, s.loc)
	if err != nil {
		writeErr(w, http.StatusInternalServerError, "读取年度日历失败 / calendar: "+err.Error())
		return
	}
	uys, err := s.app.Store.UnitYears(ctx, year)
	if err != nil {
		writeErr(w, http.StatusInternalServerError, "读取履职进度失败 / unit years: "+err.Error())
		return
	}
	names := map[string]string{}
	for _, u := range s.units {
		names[u.Key] = u.Name
	}
	now := s.clock.Now()
	type stageJSON struct {
		Key   string `json:"key"`
		Label string `json:"label"`
	}
	out := struct {
		Year    int               `json:"year"`
		Now     string            `json:"now"`
		Display string            `json:"display"`
		Stages  []stageJSON       `json:"stages"`
		Units   []complianceRow   `json:"units"`
		Counts  []complianceCount `json:"counts"`
		// Items are the year's rectification items (carry-overs included),
		// ItemCounts the 总览 line about them ("" with none).
		Items      []complianceItem `json:"items"`
		ItemCounts string           `json:"itemCounts"`
	}{Year: year, Now: now.In(s.loc).Format(time.RFC3339), Display: fmtTime(now, s.loc)}
	for _, st := range rules.AllStages {
		label := st.Label()
		if st == rules.StageFeedback {
			label = "书面反馈意见（督导办）"
		}
		out.Stages = append(out.Stages, stageJSON{string(st), label})
	}
	feedbackShown := rules.FeedbackShown(cal, uys, now)
	for _, uy := range uys {
		row := complianceRow{Key: uy.UnitKey, Name: names[uy.UnitKey]}
		if row.Name == "" {
			row.Name = uy.UnitKey
		}
		for _, st := range rules.UnitStatus(cal, uy, now) {
			c := complianceCell{Stage: string(st.Stage), Kind: kindName(st.Kind), Text: st.ShortText()}
			if st.Deadline.Open {
				c.Due = fmt.Sprintf("%d月%d日", int(st.Deadline.DueDate.Month), st.Deadline.DueDate.Day)
			}
			if st.Stage == rules.StageFeedback && !feedbackShown {
				// The office's own feedback is not due before the
				// inspection ends: the column stays empty until then.
				c.Text, c.Due = "", ""
				if c.Kind != "not_applicable" {
					c.Kind = "not_open"
				}
			}
			row.Cells = append(row.Cells, c)
		}
		out.Units = append(out.Units, row)
	}
	for _, sc := range rules.Overview(cal, uys, now) {
		out.Counts = append(out.Counts, complianceCount{
			Stage: string(sc.Stage), OnTime: sc.OnTime, Late: sc.Late, Open: sc.Open, Overdue: sc.Overdue, NotOpen: sc.NotOpen,
			NotApplicable: sc.NotApplicable,
		})
	}
	ps, err := s.app.Store.Problems(ctx, year, "")
	if err != nil {
		writeErr(w, http.StatusInternalServerError, "读取整改事项失败 / problems: "+err.Error())
		return
	}
	out.Items = []complianceItem{}
	for _, p := range ps {
		st := rules.ProblemStatusOf(p, cal, now)
		out.Items = append(out.Items, complianceItem{Unit: names[p.UnitKey], ID: p.ID, Text: p.Text, Kind: problemKinds[st.Kind], Status: st.Text()})
	}
	if len(ps) > 0 {
		out.ItemCounts = rules.CountProblems(ps, cal, now).Text()
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Sandbox) handleDigest(w http.ResponseWriter, r *http.Request) {
	if err := s.app.Scheduler.SendDigest(r.Context()); err != nil {
		writeErr(w, http.StatusInternalServerError, "生成汇总失败 / digest failed: "+err.Error())
		return
	}
	s.app.KickJobs()
	writeJSON(w, http.StatusOK, map[string]string{"result": "已生成今日汇总，稍后发给主任（同一天只发一次）"})
}

func (s *Sandbox) handleDownload(w http.ResponseWriter, r *http.Request) {
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil {
		writeErr(w, http.StatusBadRequest, "文件编号不对 / bad file number")
		return
	}
	m, ok := s.hist.sentFile(seq)
	if !ok || m.Kind == "text" {
		writeErr(w, http.StatusNotFound, "没有这个文件 / no such file")
		return
	}
	rc, err := s.sim.OpenSentFile(seq)
	if err != nil {
		writeErr(w, http.StatusNotFound, "文件已不可用 / file unavailable: "+err.Error())
		return
	}
	defer rc.Close()
	name := m.FileName
	if name == "" {
		name = fmt.Sprintf("file-%d", seq)
	}
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", contentDisposition(name))
	h.Set("X-Content-Type-Options", "nosniff")
	if m.Size > 0 {
		h.Set("Content-Length", strconv.FormatInt(m.Size, 10))
	}
	if _, err := io.Copy(w, rc); err != nil {
		s.o.Logger.Warn("download", slog.Int64("seq", seq), slog.Any("err", err))
	}
}

// contentDisposition is an attachment header with an ASCII fallback name
// and the real (UTF-8) name in RFC 5987 form, which every current browser
// prefers.
func contentDisposition(name string) string {
	var ascii, enc strings.Builder
	for _, r := range name {
		switch {
		case r < 0x20 || r == 0x7f || r == '"' || r == '\\' || r > 0x7e:
			ascii.WriteByte('_')
		default:
			ascii.WriteRune(r)
		}
	}
	for _, b := range []byte(name) {
		if isAttrChar(b) {
			enc.WriteByte(b)
		} else {
			fmt.Fprintf(&enc, "%%%02X", b)
		}
	}
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii.String(), enc.String())
}

// isAttrChar is RFC 5987's attr-char.
func isAttrChar(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", b) >= 0
}
