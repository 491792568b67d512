package wxsim_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"dudaobot/wxsim"
)

// fuzzSession is a simulator with a logged-in web session, obtained over
// HTTP the way openwechat does it (jslogin, login poll, webwxnewloginpage),
// so the fuzzed requests reach the parsing past the session checks.
type fuzzSession struct {
	sim                        *wxsim.Server
	uin, sid, skey, pass, data string
	self, to                   string
}

func newFuzzSession(f *testing.F) *fuzzSession {
	f.Helper()
	sim := wxsim.New(wxsim.Options{AutoConfirm: true})
	f.Cleanup(sim.Close)
	friend := sim.AddContact("张三", "督导-财政局")
	do := func(method, rawURL string, hdr http.Header) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, rawURL, nil)
		for k, v := range hdr {
			req.Header[k] = v
		}
		rec := httptest.NewRecorder()
		sim.Handler().ServeHTTP(rec, req)
		return rec
	}
	js := do("GET", "https://login.wx.qq.com/jslogin?appid=wx782c26e4c19acffb", nil).Body.String()
	uuid := regexp.MustCompile(`uuid = "([^"]+)"`).FindStringSubmatch(js)
	if uuid == nil {
		f.Fatalf("jslogin: %q", js)
	}
	var redirect string
	for range 3 { // 201 scanned, then 200 with the redirect
		body := do("GET", "https://login.wx.qq.com/cgi-bin/mmwebwx-bin/login?uuid="+url.QueryEscape(uuid[1])+"&tip=1", nil).Body.String()
		if m := regexp.MustCompile(`redirect_uri="([^"]+)"`).FindStringSubmatch(body); m != nil {
			redirect = m[1]
			break
		}
	}
	if redirect == "" {
		f.Fatal("login poll never confirmed")
	}
	rec := do("GET", redirect, http.Header{"Extspam": {"x"}, "Client-Version": {"2.0.0"}})
	var x struct {
		Ret        int    `xml:"ret"`
		Skey       string `xml:"skey"`
		Wxsid      string `xml:"wxsid"`
		Wxuin      int64  `xml:"wxuin"`
		PassTicket string `xml:"pass_ticket"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &x); err != nil || x.Ret != 0 {
		f.Fatalf("webwxnewloginpage: %v %s", err, rec.Body.String())
	}
	s := &fuzzSession{sim: sim, uin: strconv.FormatInt(x.Wxuin, 10), sid: x.Wxsid, skey: x.Skey, pass: x.PassTicket}
	for _, c := range rec.Result().Cookies() {
		if c.Name == "webwx_data_ticket" {
			s.data = c.Value
		}
	}
	s.self = sim.SelfUserName()
	s.to = sim.UserName(friend.ID)
	if s.self == "" || s.to == "" || s.data == "" {
		f.Fatalf("session incomplete: %+v", s)
	}
	return s
}

// fill replaces the placeholders seeds use for per-run session values.
func (s *fuzzSession) fill(b []byte) []byte {
	r := strings.NewReplacer("{uin}", s.uin, "{sid}", s.sid, "{skey}", s.skey,
		"{self}", s.self, "{to}", s.to, "{ticket}", s.data, "{pass}", s.pass)
	return []byte(r.Replace(string(b)))
}

func (s *fuzzSession) serve(req *http.Request) *httptest.ResponseRecorder {
	req.AddCookie(&http.Cookie{Name: "wxsid", Value: s.sid})
	req.AddCookie(&http.Cookie{Name: "wxuin", Value: s.uin})
	req.AddCookie(&http.Cookie{Name: "webwx_data_ticket", Value: s.data})
	rec := httptest.NewRecorder()
	s.sim.Handler().ServeHTTP(rec, req)
	return rec
}

// checkAnswer: a JSON endpoint answers 200 with a JSON object carrying a
// BaseResponse, or an HTTP error status; never a panic, never garbage.
func checkAnswer(t *testing.T, endpoint string, rec *httptest.ResponseRecorder) {
	t.Helper()
	switch rec.Code {
	case http.StatusOK:
	case http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusRequestEntityTooLarge:
		return
	default:
		t.Fatalf("%s: status %d: %s", endpoint, rec.Code, rec.Body.String())
	}
	if !strings.Contains(rec.Header().Get("Content-Type"), "json") {
		return // text answers (e.g. synccheck) are checked by their own tests
	}
	var out struct {
		BaseResponse *struct{ Ret int }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.BaseResponse == nil {
		t.Fatalf("%s: not a JSON answer with BaseResponse (%v): %s", endpoint, err, rec.Body.String())
	}
}

var fuzzJSONEndpoints = []string{
	"webwxsendmsg", "webwxsendappmsg", "webwxsendmsgimg", "webwxsync",
	"webwxbatchgetcontact", "webwxstatusnotify", "webwxcheckupload", "webwxrevokemsg", "webwxoplog",
}

// FuzzOpenWeChatJSON fuzzes the JSON bodies openwechat POSTs to wx.qq.com
// (send, sync, contacts, status notify, checkupload, revoke, oplog). The
// seeds are the client's own shapes, with session values filled in.
func FuzzOpenWeChatJSON(f *testing.F) {
	s := newFuzzSession(f)
	base := `"BaseRequest":{"Uin":{uin},"Sid":"{sid}","Skey":"{skey}","DeviceID":"e123456789012345"}`
	seeds := []struct {
		ep   uint8
		body string
	}{
		{0, `{` + base + `,"Msg":{"Type":1,"Content":"你好","FromUserName":"{self}","ToUserName":"{to}","LocalID":"17000000000001","ClientMsgId":"17000000000001"},"Scene":0}`},
		{0, `{` + base + `,"Msg":{"Type":1,"Content":"<br/>&lt;&amp;","FromUserName":"{self}","ToUserName":"filehelper","LocalID":"1","ClientMsgId":"2"},"Scene":0}`},
		{0, `{` + base + `,"Msg":{"Type":1,"Content":"x","FromUserName":"{self}","ToUserName":"{self}"}}`},
		{1, `{` + base + `,"Msg":{"Type":6,"Content":"<appmsg appid='wxeb7ec651dd0aefa9' sdkver=''><title>a.pdf</title><des></des><action></action><type>6</type><content></content><url></url><lowurl></lowurl><appattach><totallen>10</totallen><attachid>@crypt_x</attachid><fileext>pdf</fileext></appattach><extinfo></extinfo></appmsg>","FromUserName":"{self}","ToUserName":"{to}","LocalID":"3","ClientMsgId":"3"},"Scene":0}`},
		{2, `{` + base + `,"Msg":{"Type":3,"MediaId":"@crypt_none","FromUserName":"{self}","ToUserName":"{to}","LocalID":"4","ClientMsgId":"4"},"Scene":0}`},
		{3, `{` + base + `,"SyncKey":{"Count":2,"List":[{"Key":1,"Val":0},{"Key":2,"Val":0}]},"rr":-12345}`},
		{3, `{` + base + `,"SyncKey":{"Count":1,"List":[{"Key":1,"Val":-9223372036854775808}]}}`},
		{4, `{` + base + `,"Count":1,"List":[{"UserName":"{to}","EncryChatRoomId":""}]}`},
		{4, `{` + base + `,"Count":9,"List":[]}`},
		{5, `{` + base + `,"Code":3,"FromUserName":"{self}","ToUserName":"{self}","ClientMsgId":1700000000000}`},
		{6, `{` + base + `,"FileMd5":"d41d8cd98f00b204e9800998ecf8427e","FileName":"a.pdf","FileSize":30000000,"FileType":7,"FromUserName":"{self}","ToUserName":"{to}"}`},
		{7, `{` + base + `,"ClientMsgId":"1","SvrMsgId":"7100000000000000001","ToUserName":"{to}"}`},
		{8, `{` + base + `,"CmdId":2,"RemarkName":"新备注","UserName":"{to}"}`},
		{0, `{"BaseRequest":null}`},
		{0, `[]`},
		{3, ``},
	}
	for _, sd := range seeds {
		f.Add(sd.ep, []byte(sd.body))
	}
	f.Fuzz(func(t *testing.T, ep uint8, body []byte) {
		endpoint := fuzzJSONEndpoints[int(ep)%len(fuzzJSONEndpoints)]
		u := "https://wx.qq.com/cgi-bin/mmwebwx-bin/" + endpoint + "?pass_ticket=" + url.QueryEscape(s.pass) +
			"&sid=" + url.QueryEscape(s.sid) + "&skey=" + url.QueryEscape(s.skey) + "&lang=zh_CN"
		req := httptest.NewRequest("POST", u, bytes.NewReader(s.fill(body)))
		req.Header.Set("Content-Type", "application/json;charset=UTF-8")
		checkAnswer(t, endpoint, s.serve(req))
	})
}

const fuzzBoundary = "----WebKitFormBoundaryFuzz0123456789"

// uploadSeed is the multipart body openwechat sends for one chunk.
func uploadSeed(fields map[string]string, file []byte) []byte {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	_ = mw.SetBoundary(fuzzBoundary)
	for _, k := range []string{"id", "name", "type", "lastModifiedDate", "size", "chunks", "chunk", "mediatype", "uploadmediarequest", "webwx_data_ticket", "pass_ticket"} {
		if v, ok := fields[k]; ok {
			_ = mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile("filename", "a.pdf")
	_, _ = fw.Write(file)
	_ = mw.Close()
	return b.Bytes()
}

// FuzzUploadMedia fuzzes the multipart form of webwxuploadmedia (fields,
// the uploadmediarequest JSON, chunk placement and the file part).
func FuzzUploadMedia(f *testing.F) {
	s := newFuzzSession(f)
	req := func(total, dataLen int) string {
		return fmt.Sprintf(`{"UploadType":2,"BaseRequest":{"Uin":{uin},"Sid":"{sid}","Skey":"{skey}","DeviceID":"e1"},"ClientMediaId":1700000000000,"TotalLen":%d,"StartPos":0,"DataLen":%d,"MediaType":4,"FromUserName":"{self}","ToUserName":"{to}","FileMd5":"0cc175b9c0f1b6a831c399e269772661"}`, total, dataLen)
	}
	pdf := []byte("%PDF-1.7\nhello\n%%EOF")
	common := func(chunks, chunk string, total int) map[string]string {
		m := map[string]string{
			"id": "WU_FILE_0", "name": "a.pdf", "type": "application/pdf", "lastModifiedDate": "Mon Jan 01 2027 00:00:00 GMT+0800",
			"size": strconv.Itoa(total), "mediatype": "doc", "uploadmediarequest": req(total, total),
			"webwx_data_ticket": "{ticket}", "pass_ticket": "{pass}",
		}
		if chunks != "" {
			m["chunks"], m["chunk"] = chunks, chunk
		}
		return m
	}
	f.Add(uploadSeed(common("", "", len(pdf)), pdf))
	f.Add(uploadSeed(common("2", "1", 2*len(pdf)), pdf))
	f.Add(uploadSeed(common("2", "7", 2*len(pdf)), pdf))
	f.Add(uploadSeed(common("-1", "-1", 0), nil))
	bad := common("", "", 5)
	bad["uploadmediarequest"] = `{"TotalLen":"x"`
	f.Add(uploadSeed(bad, pdf))
	f.Add([]byte("--" + fuzzBoundary + "--\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "https://file.wx.qq.com/cgi-bin/mmwebwx-bin/webwxuploadmedia?f=json", bytes.NewReader(s.fill(body)))
		r.Header.Set("Content-Type", "multipart/form-data; boundary="+fuzzBoundary)
		checkAnswer(t, "webwxuploadmedia", s.serve(r))
		// The control API still answers: no lock was left held.
		st := httptest.NewRequest("GET", "http://127.0.0.1/_sim/state", nil)
		rec := httptest.NewRecorder()
		s.sim.Handler().ServeHTTP(rec, st)
		if rec.Code != http.StatusOK {
			t.Fatalf("state after upload: %d", rec.Code)
		}
		_, _ = io.Copy(io.Discard, rec.Body)
	})
}
