package wxsim

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Sent is one message the bot sent, as the simulator received it.
type Sent struct {
	Seq        int64     `json:"seq"`
	MsgID      string    `json:"msgId"`
	ToID       string    `json:"toId"` // contact id, or "filehelper"
	ToNickName string    `json:"toNickName,omitempty"`
	ToRemark   string    `json:"toRemark,omitempty"` // remark at send time
	Kind       string    `json:"kind"`               // "text" | "file" | "image" | "video" | "emoticon"
	Text       string    `json:"text,omitempty"`
	FileName   string    `json:"fileName,omitempty"`
	Size       int64     `json:"size,omitempty"`
	SHA256     string    `json:"sha256,omitempty"`
	At         time.Time `json:"at"`
}

type sendBody struct {
	BaseRequest baseRequest
	Msg         struct {
		Type         int
		Content      string
		FromUserName string
		ToUserName   string
		LocalID      string
		ClientMsgId  string
		MediaId      string
		Signature    string
		EMoticonMd5  string
	}
	Scene int
}

// appMsgXML is the <appmsg> the client builds for SendFile.
type appMsgXML struct {
	XMLName   xml.Name `xml:"appmsg"`
	Title     string   `xml:"title"`
	Type      int      `xml:"type"`
	AppAttach struct {
		TotalLen int64  `xml:"totallen"`
		AttachID string `xml:"attachid"`
		FileExt  string `xml:"fileext"`
	} `xml:"appattach"`
}

// handleSend serves webwxsendmsg, webwxsendappmsg, webwxsendmsgimg,
// webwxsendvideomsg and webwxsendemoticon. The client retries identical
// bodies after transport errors, so sends are deduplicated on ClientMsgId.
func (s *Server) handleSend(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body sendBody
		if !decodeJSON(w, r, &body) {
			return
		}
		reply := func(ret int, msg, msgID string) {
			writeJSON(w, map[string]any{"BaseResponse": baseResp(ret, msg), "MsgID": msgID, "LocalID": body.Msg.LocalID})
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		se := s.sessionForLocked(body.BaseRequest.Sid, r)
		if se == nil {
			reply(1101, "", "")
			return
		}
		if id, ok := se.clientMsgIDs[body.Msg.ClientMsgId]; ok && body.Msg.ClientMsgId != "" {
			reply(0, "", id)
			return
		}
		to := body.Msg.ToUserName
		rec := Sent{Kind: kind, At: time.Now()}
		switch {
		case to == se.selfName:
			reply(1204, "", "") // the service refuses messages to oneself
			return
		case to == "filehelper":
			rec.ToID, rec.ToNickName = "filehelper", "文件传输助手"
		default:
			c := s.contactByNameLocked(se, to)
			if c == nil {
				// e.g. a UserName from an earlier session.
				reply(1, "unknown ToUserName", "")
				return
			}
			rec.ToID, rec.ToNickName, rec.ToRemark = c.id, c.nick, c.remark
		}
		var mf *mediaFile
		switch kind {
		case "text":
			rec.Text = body.Msg.Content
		case "file":
			var am appMsgXML
			if err := xml.Unmarshal([]byte(body.Msg.Content), &am); err != nil || am.Type != 6 {
				reply(1, "bad appmsg", "")
				return
			}
			mf = s.media[am.AppAttach.AttachID]
			if mf == nil {
				reply(1, "unknown attachid", "")
				return
			}
			if am.AppAttach.TotalLen != mf.size {
				s.log.Warn("appmsg totallen differs from upload", "totallen", am.AppAttach.TotalLen, "uploaded", mf.size)
			}
			rec.FileName = am.Title
		case "emoticon":
			if body.Msg.MediaId != "" {
				mf = s.media[body.Msg.MediaId]
			}
			rec.Text = body.Msg.EMoticonMd5
		default: // image, video
			mf = s.media[body.Msg.MediaId]
			if mf == nil {
				reply(1, "unknown MediaId", "")
				return
			}
			rec.FileName = mf.name
		}
		if mf != nil {
			rec.Size, rec.SHA256 = mf.size, mf.sha256
		}
		s.sentIDs++
		msgID := strconv.FormatInt(8_200_000_000_000_000_000+s.sentIDs*7919, 10)
		if body.Msg.ClientMsgId != "" {
			se.clientMsgIDs[body.Msg.ClientMsgId] = msgID
		}
		rec.MsgID = msgID
		rec.Seq = int64(len(s.sent) + 1)
		s.sent = append(s.sent, rec)
		if mf != nil {
			s.sentMedia[rec.Seq] = mf
		}
		for _, ch := range s.subs {
			select {
			case ch <- rec:
			default:
				s.log.Warn("subscriber too slow; dropped a Sent event", "seq", rec.Seq)
			}
		}
		s.broadcastLocked()
		s.log.Info("bot sent", "kind", kind, "to", rec.ToID, "seq", rec.Seq)
		reply(0, "", msgID)
	}
}

// handleRevoke accepts webwxrevokemsg.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	var body struct{ request }
	if s.decodeSession(w, r, &body, nil) == nil {
		return
	}
	s.mu.Unlock()
	writeJSON(w, map[string]any{"BaseResponse": baseResp(0, ""), "Introduction": "", "SysWording": ""})
}

// --- Go control API: what the bot sent ---

// Sent returns everything the bot sent, in order.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// SentTo returns what the bot sent to one contact id.
func (s *Server) SentTo(id string) []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Sent
	for _, m := range s.sent {
		if m.ToID == id {
			out = append(out, m)
		}
	}
	return out
}

// WaitSent waits until the bot has sent at least n messages in total and
// returns all of them.
func (s *Server) WaitSent(ctx context.Context, n int) ([]Sent, error) {
	var out []Sent
	err := s.waitChange(ctx, func() bool {
		if len(s.sent) >= n {
			out = append([]Sent(nil), s.sent...)
			return true
		}
		return false
	})
	if err != nil {
		return nil, fmt.Errorf("wxsim: wait for %d sent: %w", n, err)
	}
	return out, nil
}

// Subscribe returns a live feed of Sent records and a cancel func. The
// channel is buffered; a subscriber that falls 1024 behind loses events
// rather than stalling the simulator.
func (s *Server) Subscribe() (<-chan Sent, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan Sent, 1024)
	if s.closed {
		close(ch)
		return ch, func() {}
	}
	s.nextSub++
	id := s.nextSub
	s.subs[id] = ch
	return ch, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if c, ok := s.subs[id]; ok {
			close(c)
			delete(s.subs, id)
		}
	}
}

// OpenSentFile opens the content of a file/image the bot sent.
func (s *Server) OpenSentFile(seq int64) (io.ReadCloser, error) {
	s.mu.Lock()
	mf := s.sentMedia[seq]
	s.mu.Unlock()
	if mf == nil {
		return nil, fmt.Errorf("wxsim: sent #%d has no file", seq)
	}
	return mf.open()
}
