package sandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"dudaobot/sandbox"
)

type contact struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Remark   string `json:"remark"`
	Role     string `json:"role"`
	UnitKey  string `json:"unitKey"`
	UnitName string `json:"unitName"`
	Unread   int    `json:"unread"`
}

type clockState struct {
	Now     string  `json:"now"`
	Date    string  `json:"date"`
	Time    string  `json:"time"`
	Speed   float64 `json:"speed"`
	Online  bool    `json:"online"`
	Jumping string  `json:"jumping"`
}

type compliance struct {
	Year  int `json:"year"`
	Items []struct {
		Unit   string `json:"unit"`
		ID     string `json:"id"`
		Kind   string `json:"kind"`
		Status string `json:"status"`
	} `json:"items"`
	ItemCounts string `json:"itemCounts"`
	Units      []struct {
		Key   string `json:"key"`
		Name  string `json:"name"`
		Cells []struct {
			Stage string `json:"stage"`
			Kind  string `json:"kind"`
			Text  string `json:"text"`
		} `json:"cells"`
	} `json:"units"`
}

// text is the cell's text as the page shows it.
func (c compliance) text(unit, stage string) string {
	for _, u := range c.Units {
		if u.Key == unit {
			for _, cell := range u.Cells {
				if cell.Stage == stage {
					return cell.Text
				}
			}
		}
	}
	return "?"
}

func (c compliance) cell(unit, stage string) string {
	for _, u := range c.Units {
		if u.Key == unit {
			for _, cell := range u.Cells {
				if cell.Stage == stage {
					return cell.Kind
				}
			}
		}
	}
	return ""
}

type client struct {
	t     *testing.T
	base  string
	token string
}

// newClient calls the sandbox's API the way its page does: with the run's
// token and, for POSTs, a JSON body.
func newClient(t *testing.T, s *sandbox.Sandbox) client {
	return client{t, s.Base(), s.Token()}
}

func (c client) do(method, path, ctype string, body io.Reader, wantStatus int, out any) *http.Response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("X-Sandbox-Token", c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, wantStatus, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp
}

func (c client) get(path string, out any) *http.Response {
	c.t.Helper()
	return c.do("GET", path, "", nil, http.StatusOK, out)
}

func (c client) postJSON(path string, in any, want int, out any) {
	c.t.Helper()
	b, _ := json.Marshal(in)
	c.do("POST", path, "application/json", bytes.NewReader(b), want, out)
}

func (c client) upload(contactID, name string, data []byte) message {
	c.t.Helper()
	req, err := http.NewRequest("POST", c.base+"api/contacts/"+contactID+"/file", bytes.NewReader(data))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("X-File-Name", url.PathEscape(name))
	req.Header.Set("X-Sandbox-Token", c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("upload %s: status %d: %s", name, resp.StatusCode, b)
	}
	var m message
	if err := json.Unmarshal(b, &m); err != nil {
		c.t.Fatalf("upload %s: %v in %s", name, err, b)
	}
	return m
}

func byRemark(t *testing.T, cs []contact, remark string) contact {
	t.Helper()
	for _, c := range cs {
		if c.Remark == remark {
			return c
		}
	}
	t.Fatalf("no contact with remark %q", remark)
	return contact{}
}

// Ensure the sandbox's web API plays a year without a browser: contacts for
// the whole roster, an official's file and its receipt live on the event
// stream, unread counts, the compliance table, the director's ledger
// downloaded under its Chinese name, the clock (no going back, a jump that
// sends the reminders passed over, the digest when 17:30 passes), and a
// restart on the same data folder that resumes where it stopped.
func TestAPI(t *testing.T) {
	t.Parallel()
	wd, _ := os.Getwd()
	dataDir := t.TempDir()
	s := startSandbox(t, dataDir)
	closed := false
	t.Cleanup(func() {
		if !closed {
			s.Close()
		}
	})
	c := newClient(t, s)
	events := subscribe(t, s)

	// The page and its assets are served from the binary.
	for _, p := range []string{"", "app.js", "style.css"} {
		resp := c.get(p, nil)
		b, _ := io.ReadAll(resp.Body)
		if len(b) == 0 {
			t.Errorf("GET /%s is empty", p)
		}
	}
	if resp := c.get("", nil); !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("index Content-Type = %q", resp.Header.Get("Content-Type"))
	}

	var cs []contact
	c.get("api/contacts", &cs)
	if len(cs) != 1+28+28 {
		t.Fatalf("%d contacts, want the director, 28 officials and 28 backups", len(cs))
	}
	dir := byRemark(t, cs, "督导办主任")
	czj := byRemark(t, cs, "督导-财政局")
	xwb := byRemark(t, cs, "督导-县委办")
	if dir.Role != "director" || czj.Role != "official" || czj.UnitKey != "czj" || czj.UnitName != "县财政局" {
		t.Fatalf("director %+v, 财政局 %+v", dir, czj)
	}
	if b := byRemark(t, cs, "督导-县委办-备"); b.Role != "backup" || b.UnitKey != "xwb" {
		t.Errorf("backup %+v", b)
	}
	var clk clockState
	c.get("api/clock", &clk)
	if clk.Now != "2027-01-10T09:00:00+08:00" && !strings.HasPrefix(clk.Now, "2027-01-10T09:0") {
		t.Errorf("clock starts at %s, want 10 January 09:00", clk.Now)
	}
	if !clk.Online {
		t.Error("clock state says the bot is offline after Start")
	}

	// An official sends a complete report: the receipt arrives on the event
	// stream.
	sent := c.upload(czj.ID, "县财政局2026年度自查自评报告.docx", completeReport(t))
	if sent.From != "person" || sent.Kind != "file" || sent.Size == 0 {
		t.Fatalf("upload answer %+v", sent)
	}
	receipt := waitMessage(t, events, "the receipt", func(m message) bool {
		return m.Contact == czj.ID && m.From == "bot" && strings.HasPrefix(m.Text, "【回执】")
	})
	if !strings.Contains(receipt.Message.Text, "自查自评报告（第1版）") || receipt.Unread != 1 {
		t.Errorf("receipt event %+v", receipt)
	}
	var chat []message
	c.get("api/contacts/"+czj.ID+"/messages", &chat)
	if len(chat) != 2 || chat[0].From != "person" || chat[0].FileName != "县财政局2026年度自查自评报告.docx" || chat[1].ID != receipt.Message.ID {
		t.Fatalf("chat history %+v", chat)
	}
	c.get("api/contacts", &cs)
	if got := byRemark(t, cs, "督导-财政局").Unread; got != 1 {
		t.Errorf("unread after the receipt = %d, want 1", got)
	}
	c.postJSON("api/contacts/"+czj.ID+"/read", nil, http.StatusOK, nil)
	c.get("api/contacts", &cs)
	if got := byRemark(t, cs, "督导-财政局").Unread; got != 0 {
		t.Errorf("unread after read = %d", got)
	}

	var table compliance
	c.get("api/compliance", &table)
	if len(table.Units) != 28 || table.cell("czj", "self_assessment") != "on_time" || table.cell("xwb", "self_assessment") != "open" {
		t.Fatalf("compliance: %d units, czj %q, xwb %q", len(table.Units), table.cell("czj", "self_assessment"), table.cell("xwb", "self_assessment"))
	}
	// The office's own unit is not evaluated: its cells are 不适用, not owed.
	for _, st := range []string{"self_assessment", "feedback", "rectification_plan", "rectification_done"} {
		if got := table.cell("ddb", st); got != "not_applicable" {
			t.Errorf("compliance: ddb %s = %q, want not_applicable", st, got)
		}
	}

	// The director: 总览 counts 县财政局 as submitted (not among those owing); 导出 sends the ledger.
	c.postJSON("api/contacts/"+dir.ID+"/text", map[string]string{"text": "总览"}, http.StatusOK, nil)
	ov := waitMessage(t, events, "the overview", func(m message) bool {
		return m.Contact == dir.ID && m.From == "bot" && strings.Contains(m.Text, "总览")
	})
	if !strings.Contains(ov.Message.Text, "自查自评报告：已交1，未交26") || strings.Contains(ov.Message.Text, "县财政局") {
		t.Errorf("overview:\n%s", ov.Message.Text)
	}
	// A problem list: the compliance panel shows its items.
	c.postJSON("api/contacts/"+dir.ID+"/text", map[string]string{"text": "问题清单 财政\n1. 教育经费台账不全\n2. 学校安全隐患未整改"}, http.StatusOK, nil)
	waitMessage(t, events, "the list preview", func(m message) bool {
		return m.Contact == dir.ID && m.From == "bot" && strings.HasPrefix(m.Text, "即将登记县财政局")
	})
	c.postJSON("api/contacts/"+dir.ID+"/text", map[string]string{"text": "确认"}, http.StatusOK, nil)
	waitMessage(t, events, "the list stored", func(m message) bool {
		return m.Contact == dir.ID && m.From == "bot" && strings.HasPrefix(m.Text, "已登记县财政局问题清单2项")
	})
	var withItems compliance
	c.get("api/compliance", &withItems)
	if len(withItems.Items) != 2 || withItems.Items[1].ID != "财政-2027-02" || withItems.Items[1].Unit != "县财政局" ||
		withItems.Items[1].Kind != "open" || withItems.Items[1].Status != "待制定措施" || withItems.ItemCounts != "整改事项：共2项，已销号0项，逾期0项" {
		t.Errorf("compliance items = %+v, counts %q", withItems.Items, withItems.ItemCounts)
	}

	c.postJSON("api/contacts/"+dir.ID+"/text", map[string]string{"text": "导出"}, http.StatusOK, nil)
	ledger := waitMessage(t, events, "the ledger", func(m message) bool {
		return m.Contact == dir.ID && m.From == "bot" && m.Kind == "file"
	}).Message
	if ledger.URL == "" || !strings.HasSuffix(ledger.FileName, ".xlsx") {
		t.Fatalf("ledger message %+v", ledger)
	}
	resp := c.get(strings.TrimPrefix(ledger.URL, "/"), nil)
	cd := resp.Header.Get("Content-Disposition")
	if !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, "filename*=UTF-8''2027%E5%B9%B4") {
		t.Errorf("Content-Disposition = %q", cd)
	}
	if body, _ := io.ReadAll(resp.Body); !bytes.HasPrefix(body, []byte("PK")) || int64(len(body)) != ledger.Size {
		t.Errorf("ledger download: %d bytes, want %d starting with PK", len(body), ledger.Size)
	}

	// Errors are JSON with a Chinese message.
	var e struct{ Error string }
	c.postJSON("api/contacts/"+czj.ID+"/text", map[string]string{"text": "  "}, http.StatusBadRequest, &e)
	if !strings.Contains(e.Error, "不能为空") {
		t.Errorf("empty text error %q", e.Error)
	}
	c.postJSON("api/contacts/nobody/text", map[string]string{"text": "x"}, http.StatusNotFound, nil)
	c.do("GET", "api/files/999999", "", nil, http.StatusNotFound, nil)
	c.postJSON("api/clock", map[string]string{"date": "2027-01-01", "time": "10:00"}, http.StatusBadRequest, &e)
	if !strings.Contains(e.Error, "只能往后拨") {
		t.Errorf("backward jump error %q", e.Error)
	}
	c.postJSON("api/clock", map[string]any{"speed": -1}, http.StatusBadRequest, nil)

	// The jump past the deadline sends each reminder on the way at its own
	// time; 县财政局 (submitted) gets none.
	c.postJSON("api/clock", map[string]string{"date": "2027-03-02", "time": "10:30"}, http.StatusAccepted, &clk)
	if clk.Jumping == "" {
		t.Errorf("jump answer %+v: want jumping", clk)
	}
	waitEvent(t, events, "jumped")
	clk = clockState{}
	c.get("api/clock", &clk)
	if clk.Date != "2027-03-02" || clk.Jumping != "" {
		t.Fatalf("after the jump: %+v", clk)
	}
	c.get("api/contacts/"+xwb.ID+"/messages", &chat)
	var days []string
	for _, m := range chat {
		if m.From == "bot" && strings.HasPrefix(m.Text, "【督导提醒】") {
			days = append(days, m.Time)
		}
	}
	// 30, 14, 7 days ahead, 3 and 1 day ahead (Friday 26 February and
	// Sunday 28: both on the Friday), the due date, 1 day overdue.
	wantDays := []string{"1月29日 10:00", "2月15日 10:00", "2月22日 10:00", "2月26日 10:00", "3月1日 10:00", "3月2日 10:00"}
	if !slices.Equal(days, wantDays) || !strings.Contains(chat[len(chat)-1].Text, "已记为逾期1天") {
		t.Errorf("县委办 reminders at %v, want %v; last: %q", days, wantDays, chat[len(chat)-1].Text)
	}
	// The fast-forward keeps quiet hours (21:00–08:00): nothing the bot
	// sent on the way, to anyone, went out inside them.
	for _, who := range cs {
		var msgs []message
		c.get("api/contacts/"+who.ID+"/messages", &msgs)
		for _, m := range msgs {
			hm := m.Time[strings.LastIndex(m.Time, " ")+1:]
			if m.From == "bot" && (hm < "08:00" || hm >= "21:00") {
				t.Errorf("sent to %s at %s, inside quiet hours: %q", who.Remark, m.Time, m.Text)
			}
		}
	}
	for _, m := range s.Sim().SentTo(czj.ID) {
		if strings.Contains(m.Text, "【督导提醒】") {
			t.Errorf("县财政局 was reminded after submitting:\n%s", m.Text)
		}
	}
	c.get("api/compliance", &table)
	if table.cell("xwb", "self_assessment") != "overdue" || table.cell("czj", "self_assessment") != "on_time" {
		t.Errorf("compliance after the deadline: xwb %q czj %q", table.cell("xwb", "self_assessment"), table.cell("czj", "self_assessment"))
	}
	// Short forms that fit a narrow cell; the office's feedback column is
	// empty until the inspection ends (before: 未提交（剩71天） everywhere).
	if got, want := table.text("xwb", "self_assessment")+" "+table.text("czj", "self_assessment"), "逾期1天 按时"; got != want {
		t.Errorf("cell texts %q, want %q", got, want)
	}
	for _, u := range table.Units {
		if txt := table.text(u.Key, "feedback"); txt != "" {
			t.Errorf("feedback cell of %s = %q before the inspection ended, want empty", u.Key, txt)
		}
	}

	// The digest goes out when the simulated clock passes 17:30 on a weekday.
	c.postJSON("api/clock", map[string]string{"date": "2027-03-02", "time": "17:29"}, http.StatusAccepted, nil)
	waitEvent(t, events, "jumped")
	c.postJSON("api/clock", map[string]any{"speed": 600}, http.StatusOK, &clk)
	if clk.Speed != 600 {
		t.Errorf("speed = %v", clk.Speed)
	}
	dg := waitMessage(t, events, "the digest", func(m message) bool {
		return m.Contact == dir.ID && strings.HasPrefix(m.Text, "【督导日报】")
	})
	if !strings.Contains(dg.Message.Text, "2027年3月2日") {
		t.Errorf("digest:\n%s", dg.Message.Text)
	}
	c.postJSON("api/clock", map[string]any{"speed": 0}, http.StatusOK, &clk)
	var dr map[string]string
	c.postJSON("api/digest", nil, http.StatusOK, &dr)
	if dr["result"] == "" {
		t.Errorf("digest button answer %v", dr)
	}

	// Restart on the same folder: the database and the time survive; the
	// production paths of config.yaml were never touched.
	var before clockState
	c.get("api/clock", &before)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	closed = true
	for _, p := range []string{"dudao.db", "files", "sandbox-clock.json"} {
		if _, err := os.Stat(filepath.Join(dataDir, p)); err != nil {
			t.Errorf("data folder lacks %s: %v", p, err)
		}
	}
	if _, err := os.Stat(filepath.Join(wd, "data")); err == nil {
		t.Errorf("the sandbox created the production data folder %s", filepath.Join(wd, "data"))
	}
	s2 := startSandbox(t, dataDir)
	defer s2.Close()
	c2 := newClient(t, s2)
	c2.get("api/clock", &clk)
	if clk.Date != "2027-03-02" || clk.Time < before.Time {
		t.Errorf("restarted clock %+v, want the saved %s %s", clk, before.Date, before.Time)
	}
	c2.get("api/compliance", &table)
	if table.cell("czj", "self_assessment") != "on_time" {
		t.Errorf("after restart czj = %q", table.cell("czj", "self_assessment"))
	}
}
