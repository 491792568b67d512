package wxsim_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"dudaobot/wxsim"
)

func ctlDo(t *testing.T, sim *wxsim.Server, method, path, ctype string, body io.Reader, out any) {
	t.Helper()
	req, err := http.NewRequest(method, sim.URL()+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "sim.local"
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

func ctlJSON(t *testing.T, sim *wxsim.Server, method, path string, in, out any) {
	t.Helper()
	b, _ := json.Marshal(in)
	ctlDo(t, sim, method, path, "application/json", bytes.NewReader(b), out)
}

func TestHTTPControlAPI(t *testing.T) {
	t.Parallel()
	sim := newSim(t, wxsim.Options{})
	var c wxsim.Contact
	ctlJSON(t, sim, "POST", "/_sim/contacts", map[string]string{"nickName": "赵六", "remarkName": "某局-赵六"}, &c)
	if c.ID == "" || c.RemarkName != "某局-赵六" {
		t.Fatalf("contact = %+v", c)
	}

	cb := newClientBot(t, sim)
	errc := make(chan error, 1)
	go func() { errc <- cb.bot.Login() }()
	recv(t, cb.uuids)
	var st map[string]any
	ctlDo(t, sim, "GET", "/_sim/state", "", nil, &st)
	if st["pendingUuid"] == "" || st["loggedIn"] != false {
		t.Fatalf("state = %v", st)
	}
	ctlJSON(t, sim, "POST", "/_sim/login/confirm", nil, nil)
	if err := recv(t, errc); err != nil {
		t.Fatal(err)
	}

	// SSE feed of what the bot sends.
	req, _ := http.NewRequest("GET", sim.URL()+"/_sim/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	sc := bufio.NewScanner(resp.Body)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), ":") { // subscribed
		t.Fatalf("events preamble: %q", sc.Text())
	}
	f := friendByRemark(t, cb, "某局-赵六")
	if _, err := f.SendText("通知：请自查"); err != nil {
		t.Fatal(err)
	}
	var ev wxsim.Sent
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			if err := json.Unmarshal([]byte(data), &ev); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if ev.Text != "通知：请自查" || ev.ToID != c.ID {
		t.Fatalf("event = %+v", ev)
	}

	// Inbound text and file through the API.
	var res map[string]string
	ctlJSON(t, sim, "POST", "/_sim/send/text", map[string]string{"from": c.ID, "text": "收到"}, &res)
	if r := cb.next(t); r.msg.Content != "收到" || r.msg.MsgId != res["msgId"] {
		t.Fatalf("msg = %+v", r.msg)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("from", c.ID)
	fw, _ := mw.CreateFormFile("file", "整改报告.docx")
	_, _ = fw.Write([]byte("docx bytes"))
	_ = mw.Close()
	ctlDo(t, sim, "POST", "/_sim/send/file", mw.FormDataContentType(), &body, &res)
	if r := cb.next(t); r.msg.FileName != "整改报告.docx" || string(r.file) != "docx bytes" {
		t.Fatalf("file msg = %+v (%q)", r.msg, r.file)
	}

	// Faults and the sent list.
	var fid map[string]int
	ctlJSON(t, sim, "POST", "/_sim/faults", wxsim.Fault{Endpoint: "webwxsendmsg", Kind: "5xx"}, &fid)
	if _, err := f.SendText("x"); err == nil {
		t.Fatal("fault not applied")
	}
	ctlDo(t, sim, "DELETE", "/_sim/faults/"+strconv.Itoa(fid["id"]), "", nil, nil)
	var sent []wxsim.Sent
	ctlDo(t, sim, "GET", "/_sim/sent?to="+c.ID, "", nil, &sent)
	if len(sent) != 1 {
		t.Fatalf("sent = %+v", sent)
	}

	ctlJSON(t, sim, "POST", "/_sim/logout", map[string]int{"retcode": 1102}, nil)
	cb.waitLogout(t)
}
