package wxsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// controlMux is the JSON control API under /_sim/ (see doc.go).
func (s *Server) controlMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_sim/state", s.ctlState)
	mux.HandleFunc("GET /_sim/contacts", func(w http.ResponseWriter, _ *http.Request) { ctlJSON(w, s.Contacts()) })
	mux.HandleFunc("POST /_sim/contacts", s.ctlAddContact)
	mux.HandleFunc("POST /_sim/groups", s.ctlAddGroup)
	mux.HandleFunc("POST /_sim/contacts/{id}", s.ctlUpdateContact)
	mux.HandleFunc("POST /_sim/send/text", s.ctlSendText)
	mux.HandleFunc("POST /_sim/send/file", s.ctlSendFile)
	mux.HandleFunc("POST /_sim/send/image", s.ctlSendImage)
	mux.HandleFunc("POST /_sim/send/other", s.ctlSendOther)
	mux.HandleFunc("POST /_sim/replay", s.ctlReplay)
	mux.HandleFunc("GET /_sim/sent", s.ctlSent)
	mux.HandleFunc("GET /_sim/sent/{seq}/file", s.ctlSentFile)
	mux.HandleFunc("GET /_sim/events", s.ctlEvents)
	mux.HandleFunc("POST /_sim/login/scan", func(w http.ResponseWriter, _ *http.Request) { ctlResult(w, nil, s.ScanLogin()) })
	mux.HandleFunc("POST /_sim/login/confirm", func(w http.ResponseWriter, _ *http.Request) { ctlResult(w, nil, s.ConfirmLogin()) })
	mux.HandleFunc("POST /_sim/logout", s.ctlLogout)
	mux.HandleFunc("GET /_sim/faults", s.ctlFaults)
	mux.HandleFunc("POST /_sim/faults", s.ctlAddFault)
	mux.HandleFunc("DELETE /_sim/faults/{id}", s.ctlDeleteFault)
	mux.HandleFunc("DELETE /_sim/faults", func(w http.ResponseWriter, _ *http.Request) {
		s.ClearFaults()
		ctlResult(w, nil, nil)
	})
	return mux
}

func ctlJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func ctlError(w http.ResponseWriter, code int, err error) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}

// ctlResult answers v (or {"ok":true}) or the error: 404 for unknown ids
// and missing logins, 400 otherwise.
func ctlResult(w http.ResponseWriter, v any, err error) {
	if err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, ErrUnknownContact) || errors.Is(err, ErrNoPendingLogin) {
			code = http.StatusNotFound
		}
		ctlError(w, code, err)
		return
	}
	if v == nil {
		v = map[string]bool{"ok": true}
	}
	ctlJSON(w, v)
}

func ctlDecode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(v); err != nil {
		ctlError(w, http.StatusBadRequest, fmt.Errorf("bad JSON: %w", err))
		return false
	}
	return true
}

func (s *Server) ctlState(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	st := map[string]any{
		"loggedIn": s.loggedInLocked(), "logins": s.logins, "selfNickName": s.self.nick,
		"selfUin": s.opts.SelfUin, "sent": len(s.sent), "pendingUuid": "", "loginUrl": "",
	}
	if p := s.newestPendingLocked(); p != nil {
		st["pendingUuid"] = p.uuid
		st["loginUrl"] = "https://login.weixin.qq.com/l/" + p.uuid
	}
	s.mu.Unlock()
	ctlJSON(w, st)
}

func (s *Server) ctlAddContact(w http.ResponseWriter, r *http.Request) {
	var in struct{ NickName, RemarkName string }
	if !ctlDecode(w, r, &in) {
		return
	}
	if in.NickName == "" {
		ctlError(w, http.StatusBadRequest, errors.New("nickName required"))
		return
	}
	ctlJSON(w, s.AddContact(in.NickName, in.RemarkName))
}

func (s *Server) ctlAddGroup(w http.ResponseWriter, r *http.Request) {
	var in struct {
		NickName string
		Members  []string
	}
	if !ctlDecode(w, r, &in) {
		return
	}
	ctlJSON(w, s.AddGroup(in.NickName, in.Members...))
}

func (s *Server) ctlUpdateContact(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var in struct{ NickName, RemarkName *string }
	if !ctlDecode(w, r, &in) {
		return
	}
	if _, ok := s.Contact(id); !ok {
		ctlError(w, http.StatusNotFound, fmt.Errorf("%w: %q", ErrUnknownContact, id))
		return
	}
	if in.NickName != nil {
		s.SetNickName(id, *in.NickName)
	}
	if in.RemarkName != nil {
		s.SetRemark(id, *in.RemarkName)
	}
	c, _ := s.Contact(id)
	ctlJSON(w, c)
}

func (s *Server) ctlSendText(w http.ResponseWriter, r *http.Request) {
	var in struct{ From, Group, Member, Text string }
	if !ctlDecode(w, r, &in) {
		return
	}
	var id string
	var err error
	if in.Group != "" {
		id, err = s.SendGroupText(in.Group, in.Member, in.Text)
	} else {
		id, err = s.SendText(in.From, in.Text)
	}
	ctlResult(w, map[string]string{"msgId": id}, err)
}

// ctlSendFile takes multipart form fields "from" and optional
// "claimedSize", and the file part "file" (its filename is what the bot
// sees). The part is streamed to disk, never buffered whole.
func (s *Server) ctlSendFile(w http.ResponseWriter, r *http.Request) {
	s.ctlMultipartSend(w, r, func(from, name string, claimed int64, body io.Reader) (string, error) {
		if claimed >= 0 {
			return s.SendFileClaimingSize(from, name, body, claimed)
		}
		return s.SendFile(from, name, body)
	})
}

func (s *Server) ctlSendImage(w http.ResponseWriter, r *http.Request) {
	s.ctlMultipartSend(w, r, func(from, _ string, _ int64, body io.Reader) (string, error) {
		b, err := io.ReadAll(io.LimitReader(body, 20<<20))
		if err != nil {
			return "", fmt.Errorf("read image: %w", err)
		}
		return s.SendImage(from, b)
	})
}

func (s *Server) ctlMultipartSend(w http.ResponseWriter, r *http.Request, send func(from, name string, claimed int64, body io.Reader) (string, error)) {
	mr, err := r.MultipartReader()
	if err != nil {
		ctlError(w, http.StatusBadRequest, fmt.Errorf("multipart: %w", err))
		return
	}
	from, claimed := "", int64(-1)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			ctlError(w, http.StatusBadRequest, fmt.Errorf("multipart: %w", err))
			return
		}
		if part.FormName() != "file" {
			b, _ := io.ReadAll(io.LimitReader(part, 4096))
			switch part.FormName() {
			case "from":
				from = string(b)
			case "claimedSize":
				if claimed, err = strconv.ParseInt(string(b), 10, 64); err != nil {
					ctlError(w, http.StatusBadRequest, fmt.Errorf("claimedSize: %w", err))
					return
				}
			}
			continue
		}
		// Fields must precede the file part so the upload can stream.
		id, err := send(from, part.FileName(), claimed, part)
		ctlResult(w, map[string]string{"msgId": id}, err)
		return
	}
	ctlError(w, http.StatusBadRequest, errors.New(`multipart needs fields "from" then a "file" part`))
}

func (s *Server) ctlSendOther(w http.ResponseWriter, r *http.Request) {
	var in struct {
		From    string
		MsgType int
	}
	if !ctlDecode(w, r, &in) {
		return
	}
	id, err := s.SendOther(in.From, in.MsgType)
	ctlResult(w, map[string]string{"msgId": id}, err)
}

func (s *Server) ctlReplay(w http.ResponseWriter, r *http.Request) {
	var in struct{ MsgID string }
	if !ctlDecode(w, r, &in) {
		return
	}
	ctlResult(w, nil, s.Replay(in.MsgID))
}

func (s *Server) ctlSent(w http.ResponseWriter, r *http.Request) {
	if to := r.URL.Query().Get("to"); to != "" {
		ctlJSON(w, nonNil(s.SentTo(to)))
		return
	}
	ctlJSON(w, nonNil(s.Sent()))
}

func nonNil(s []Sent) []Sent {
	if s == nil {
		return []Sent{}
	}
	return s
}

func (s *Server) ctlSentFile(w http.ResponseWriter, r *http.Request) {
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil {
		ctlError(w, http.StatusBadRequest, fmt.Errorf("seq: %w", err))
		return
	}
	s.mu.Lock()
	mf := s.sentMedia[seq]
	s.mu.Unlock()
	if mf == nil {
		ctlError(w, http.StatusNotFound, fmt.Errorf("sent #%d has no file", seq))
		return
	}
	s.serveMedia(w, r, mf, "application/octet-stream")
}

// ctlEvents is a Server-Sent Events stream: one "sent" event (JSON Sent)
// per message the bot sends, from the moment of subscription.
func (s *Server) ctlEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		ctlError(w, http.StatusInternalServerError, errors.New("streaming unsupported"))
		return
	}
	ch, cancel := s.Subscribe()
	defer cancel()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, ": wxsim events\n\n")
	fl.Flush()
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return
			}
			b, _ := json.Marshal(ev)
			if _, err := fmt.Fprintf(w, "event: sent\nid: %d\ndata: %s\n\n", ev.Seq, b); err != nil {
				return
			}
			fl.Flush()
		case <-r.Context().Done():
			return
		}
	}
}

func (s *Server) ctlLogout(w http.ResponseWriter, r *http.Request) {
	var in struct{ Retcode int }
	if r.ContentLength != 0 && !ctlDecode(w, r, &in) {
		return
	}
	if in.Retcode == 0 {
		in.Retcode = 1101
	}
	s.ForceLogout(in.Retcode)
	ctlResult(w, nil, nil)
}

func (s *Server) ctlFaults(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	out := []map[string]any{}
	for _, fs := range s.faults {
		out = append(out, map[string]any{"id": fs.id, "fault": fs.f, "fired": fs.fired})
	}
	s.mu.Unlock()
	ctlJSON(w, out)
}

func (s *Server) ctlAddFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	if !ctlDecode(w, r, &f) {
		return
	}
	switch f.Kind {
	case FaultHTTP5xx, FaultHang, FaultDrop, FaultDropAfter, FaultRet1205:
	default:
		ctlError(w, http.StatusBadRequest, fmt.Errorf("unknown fault kind %q", f.Kind))
		return
	}
	if f.Endpoint == "" {
		ctlError(w, http.StatusBadRequest, errors.New("endpoint required"))
		return
	}
	id, _ := s.injectFault(f)
	ctlJSON(w, map[string]int{"id": id})
}

func (s *Server) ctlDeleteFault(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		ctlError(w, http.StatusBadRequest, fmt.Errorf("id: %w", err))
		return
	}
	s.mu.Lock()
	s.removeFaultLocked(id)
	s.mu.Unlock()
	ctlResult(w, nil, nil)
}
