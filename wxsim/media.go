package wxsim

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	chunkSize     = 512 << 10
	needCheckSize = 25 << 20 // uploads above this must go through webwxcheckupload
	maxUploadSize = 50 << 20 // the service's limit for attachments
)

// mediaFile is a blob on disk: uploaded by the bot or sent by a contact.
// Large files are never held in memory.
type mediaFile struct {
	id     string
	path   string
	name   string
	size   int64
	sha256 string
	md5    string
}

func (m *mediaFile) open() (*os.File, error) {
	f, err := os.Open(m.path)
	if err != nil {
		return nil, fmt.Errorf("wxsim: open media %s: %w", m.id, err)
	}
	return f, nil
}

// storeMedia streams r into the data dir and hashes it on the way.
func (s *Server) storeMedia(name string, r io.Reader) (*mediaFile, error) {
	f, err := os.CreateTemp(filepath.Join(s.dataDir, "media"), "in-*.bin")
	if err != nil {
		return nil, fmt.Errorf("wxsim: store media: %w", err)
	}
	sh, mh := sha256.New(), md5.New()
	n, err := io.Copy(io.MultiWriter(f, sh, mh), r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return nil, fmt.Errorf("wxsim: store media: %w", err)
	}
	return &mediaFile{
		id: "@crypt_" + randHex(8) + "_" + randHex(32), path: f.Name(), name: name, size: n,
		sha256: hex.EncodeToString(sh.Sum(nil)), md5: hex.EncodeToString(mh.Sum(nil)),
	}, nil
}

// --- inbound media (contact -> bot), Go control API ---

// SendFile delivers an attachment (MsgType 49, AppMsgType 6) from a friend
// (or, for a group id, from its first member). r is streamed to disk.
func (s *Server) SendFile(fromID, fileName string, r io.Reader) (string, error) {
	return s.sendFile(fromID, fileName, r, -1)
}

// SendFileClaimingSize is SendFile with a FileSize/totallen that lies, to
// test bots that must not trust the announced size.
func (s *Server) SendFileClaimingSize(fromID, fileName string, r io.Reader, claimedSize int64) (string, error) {
	return s.sendFile(fromID, fileName, r, claimedSize)
}

func (s *Server) sendFile(fromID, fileName string, r io.Reader, claimed int64) (string, error) {
	s.mu.Lock()
	from, member, err := s.senderLocked(fromID)
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	mf, err := s.storeMedia(fileName, r)
	if err != nil {
		return "", err
	}
	size := mf.size
	if claimed >= 0 {
		size = claimed
	}
	ext := strings.TrimPrefix(strings.ToLower(path.Ext(fileName)), ".")
	m := &simMsg{
		msgType: 49, appMsgType: 6, fromID: from, memberID: member, fileName: fileName,
		fileSize: strconv.FormatInt(size, 10), totalLen: size, fileExt: ext, mediaID: mf.id, media: mf,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.media[mf.id] = mf
	s.appendLocked(m)
	return m.msgID, nil
}

// SendImage delivers a picture (MsgType 3); the client fetches it with
// webwxgetmsgimg.
func (s *Server) SendImage(fromID string, img []byte) (string, error) {
	s.mu.Lock()
	from, member, err := s.senderLocked(fromID)
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	mf, err := s.storeMedia("image.png", strings.NewReader(string(img)))
	if err != nil {
		return "", err
	}
	m := &simMsg{msgType: 3, fromID: from, memberID: member, media: mf, totalLen: mf.size}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appendLocked(m)
	return m.msgID, nil
}

// SendOther delivers a message of another type the bot should cope with:
// 34 voice, 43 video, 47 emoticon, 49 (a link, AppMsgType 5), 42 card,
// 48 location, 10000 system; any other type gets a placeholder text body.
func (s *Server) SendOther(fromID string, msgType int) (string, error) {
	s.mu.Lock()
	from, member, err := s.senderLocked(fromID)
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	m := &simMsg{msgType: msgType, fromID: from, memberID: member}
	var blob string
	switch msgType {
	case 34:
		blob, m.voiceLen = "#!AMR\n"+strings.Repeat("\x00", 64), 3000
	case 43, 62:
		blob, m.playLen = "\x00\x00\x00\x18ftypmp42"+strings.Repeat("\x00", 64), 5
	case 47:
		blob = "GIF89a" + strings.Repeat("\x00", 32)
	case 49:
		m.appMsgType, m.text, m.url = 5, "关于开展自查工作的通知", "https://mp.weixin.qq.com/s/wxsim-link"
		m.fileName = m.text
	case 42:
		m.text = `<?xml version="1.0"?><msg bigheadimgurl="" smallheadimgurl="" username="wxid_wxsimcard" nickname="名片" alias="" />`
	case 48:
		m.text = `<?xml version="1.0"?><msg><location x="39.9" y="116.3" scale="16" label="北京市" poiname="" /></msg>`
	case 10000:
		m.text = "你已添加了对方，现在可以开始聊天了。"
	default:
		m.text = "[wxsim message type " + strconv.Itoa(msgType) + "]"
	}
	if blob != "" {
		mf, err := s.storeMedia("media.bin", strings.NewReader(blob))
		if err != nil {
			return "", err
		}
		m.media, m.totalLen = mf, mf.size
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appendLocked(m)
	return m.msgID, nil
}

// dataTicketOK accepts the webwx_data_ticket from the query/form or the
// cookie. The real file host needs it; a client that lost its cookies (hot
// login without the storage workaround) fails before even asking.
func (s *Server) dataTicketLocked(r *http.Request, fromForm string) *session {
	ticket := fromForm
	if ticket == "" {
		ticket = r.URL.Query().Get("webwx_data_ticket")
	}
	if ticket == "" {
		if c, err := r.Cookie("webwx_data_ticket"); err == nil {
			ticket = c.Value
		}
	}
	if ticket == "" {
		return nil
	}
	for _, se := range s.sessions {
		if se.invalid == 0 && se.dataTicket == ticket {
			return se
		}
	}
	return nil
}

// handleGetMedia streams an attachment from disk (with Content-Length and
// Range support) to file.<D>/webwxgetmedia.
func (s *Server) handleGetMedia(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	se := s.dataTicketLocked(r, "")
	mf := s.media[q.Get("mediaid")]
	s.mu.Unlock()
	s.serveFound(w, r, se, mf, "application/octet-stream", "webwx_data_ticket invalid", "media not found")
}

// serveFound answers a download whose session and media were looked up:
// 403 with noSession when the request named no valid session, 404 with
// noMedia when there is no such media, else the media. The status is never
// checked by the client: it would save the text as the file, as with the
// real service's error pages.
func (s *Server) serveFound(w http.ResponseWriter, r *http.Request, se *session, mf *mediaFile, ctype, noSession, noMedia string) {
	if se == nil {
		http.Error(w, noSession, http.StatusForbidden)
		return
	}
	if mf == nil {
		http.Error(w, noMedia, http.StatusNotFound)
		return
	}
	s.serveMedia(w, r, mf, ctype)
}

func (s *Server) serveMedia(w http.ResponseWriter, r *http.Request, mf *mediaFile, ctype string) {
	f, err := mf.open()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer func() { _ = f.Close() }()
	w.Header().Set("Content-Type", ctype)
	if mf.name != "" {
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": mf.name}))
	}
	http.ServeContent(w, r, "", time.Time{}, f)
}

// handleGetMsgMedia serves webwxgetmsgimg / webwxgetvoice / webwxgetvideo,
// which identify the message by MsgID and the session by skey.
func (s *Server) handleGetMsgMedia(ctype string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		id := q.Get("MsgID")
		if id == "" {
			id = q.Get("msgid")
		}
		s.mu.Lock()
		se := s.sessionBySkeyLocked(q.Get("skey"), r)
		var mf *mediaFile
		if m := s.msgByID[id]; m != nil {
			mf = m.media
		}
		s.mu.Unlock()
		s.serveFound(w, r, se, mf, ctype, "invalid skey", "no media for MsgID")
	}
}

// 1x1 transparent PNG for avatars.
var pngPixel = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

func handleIcon(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(len(pngPixel)))
	_, _ = w.Write(pngPixel)
}

// --- uploads (bot -> service) ---

type checkInfo struct {
	sid  string
	md5  string
	size int64
}

type upload struct {
	mu      sync.Mutex
	f       *os.File
	path    string
	name    string
	total   int64
	md5     string
	chunks  int
	got     map[int]bool
	written int64
	media   *mediaFile
}

// writeChunk stores one chunk at its offset. Writes of one upload are
// serialised (the client sends chunks sequentially anyway), which also keeps
// a late retry from racing with finishUpload closing the file.
func (u *upload) writeChunk(chunk int, r io.Reader) (int, string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.media != nil || u.f == nil {
		// Already complete: a retried chunk. Drain it and report success.
		_, _ = io.Copy(io.Discard, r)
		return 0, ""
	}
	off := int64(chunk) * chunkSize
	n, err := io.Copy(io.NewOffsetWriter(u.f, off), io.LimitReader(r, chunkSize+1))
	if err != nil {
		return 1, "write chunk: " + err.Error()
	}
	if n > chunkSize || off+n > u.total {
		return 1, "chunk too large"
	}
	if !u.got[chunk] {
		u.got[chunk] = true
		u.written += n
	}
	return 0, ""
}

func (u *upload) closeFile() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.f != nil {
		_ = u.f.Close()
		u.f = nil
	}
}

// handleCheckUpload: required by the client for files > 25 MiB. It hands
// out AESKey/Signature for the chunks, or a MediaId for instant reuse of
// identical content.
func (s *Server) handleCheckUpload(w http.ResponseWriter, r *http.Request) {
	var body struct {
		request
		FileMd5  string
		FileName string
		FileSize int64
		FileType int
	}
	se := s.decodeSession(w, r, &body, nil)
	if se == nil {
		return
	}
	defer s.mu.Unlock()
	if body.FileSize > maxUploadSize {
		writeJSON(w, map[string]any{"BaseResponse": baseResp(1, "file too large")})
		return
	}
	resp := map[string]any{
		"BaseResponse": baseResp(0, ""), "MediaId": "", "AESKey": "", "Signature": "",
		"EncryFileName": escapeFileName(path.Base(filepath.ToSlash(body.FileName))),
	}
	if id, ok := s.byDigest[body.FileMd5+"|"+strconv.FormatInt(body.FileSize, 10)]; ok {
		resp["MediaId"] = id
	}
	sig := randHex(32)
	s.checks[sig] = checkInfo{sid: se.sid, md5: body.FileMd5, size: body.FileSize}
	resp["AESKey"], resp["Signature"] = randHex(16), sig
	writeJSON(w, resp)
}

type uploadMediaRequest struct {
	UploadType    int
	BaseRequest   baseRequest
	ClientMediaId int64
	TotalLen      int64
	StartPos      int64
	DataLen       int64
	MediaType     int
	FromUserName  string
	ToUserName    string
	FileMd5       string
	AESKey        string
	Signature     string
}

// handleUploadMedia receives one multipart chunk. Chunks are placed by the
// chunk/chunks fields (StartPos/DataLen are useless: the client always sends
// 0 and the total) and streamed straight into a file on disk.
func (s *Server) handleUploadMedia(w http.ResponseWriter, r *http.Request) {
	fail := func(ret int, msg string) {
		writeJSON(w, map[string]any{"BaseResponse": baseResp(ret, msg), "MediaId": ""})
	}
	r.Body = http.MaxBytesReader(w, r.Body, chunkSize+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		fail(1, "not multipart: "+err.Error())
		return
	}
	fields := map[string]string{}
	var (
		req      uploadMediaRequest
		u        *upload
		chunk    int
		gotChunk bool
	)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fail(1, "multipart: "+err.Error())
			return
		}
		if part.FileName() == "" {
			// Form fields precede the file part in the client's encoding.
			b, err := io.ReadAll(io.LimitReader(part, 64<<10))
			if err != nil {
				fail(1, "multipart field: "+err.Error())
				return
			}
			fields[part.FormName()] = string(b)
			continue
		}
		// The file part: everything needed to place it is known now.
		if err := json.Unmarshal([]byte(fields["uploadmediarequest"]), &req); err != nil {
			fail(1, "bad uploadmediarequest")
			return
		}
		var ret int
		var msg string
		u, chunk, ret, msg = s.uploadFor(r, req, fields)
		if ret != 0 {
			fail(ret, msg)
			return
		}
		if ret, msg := u.writeChunk(chunk, part); ret != 0 {
			fail(ret, msg)
			return
		}
		gotChunk = true
	}
	if !gotChunk {
		fail(1, "no file part")
		return
	}
	mf, err := s.finishUpload(u)
	if err != nil {
		fail(1, err.Error())
		return
	}
	resp := map[string]any{"BaseResponse": baseResp(0, ""), "MediaId": "", "StartPos": u.written, "CDNThumbImgHeight": 0, "CDNThumbImgWidth": 0}
	if mf != nil {
		resp["MediaId"] = mf.id
	}
	writeJSON(w, resp)
}

// uploadFor validates a chunk and finds or creates its upload.
func (s *Server) uploadFor(r *http.Request, req uploadMediaRequest, fields map[string]string) (*upload, int, int, string) {
	chunks, chunk := 1, 0
	if v := fields["chunks"]; v != "" {
		chunks, _ = strconv.Atoi(v)
		chunk, _ = strconv.Atoi(fields["chunk"])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	se := s.sessions[req.BaseRequest.Sid]
	if se == nil || se.invalid != 0 {
		return nil, 0, 1101, ""
	}
	if ds := s.dataTicketLocked(r, fields["webwx_data_ticket"]); ds != se {
		return nil, 0, -1, "invalid webwx_data_ticket"
	}
	if req.TotalLen <= 0 || req.TotalLen > maxUploadSize {
		return nil, 0, 1, "bad TotalLen"
	}
	if want := int((req.TotalLen + chunkSize - 1) / chunkSize); chunks != want || chunk < 0 || chunk >= chunks {
		return nil, 0, 1, "bad chunk/chunks"
	}
	if req.TotalLen > needCheckSize {
		// Big files without a checkupload signature are refused, as the real
		// service did before openwechat v1.4.10 added checkupload (#546).
		ci, ok := s.checks[req.Signature]
		if !ok || ci.sid != se.sid || ci.size != req.TotalLen {
			return nil, 0, 1, "signature required for files over 25 MiB"
		}
	}
	key := se.sid + "|" + strconv.FormatInt(req.ClientMediaId, 10) + "|" + req.FileMd5 + "|" + strconv.FormatInt(req.TotalLen, 10)
	u := s.uploads[key]
	if u == nil {
		f, err := os.CreateTemp(filepath.Join(s.dataDir, "uploads"), "up-*.bin")
		if err != nil {
			return nil, 0, 1, "create upload: " + err.Error()
		}
		name := fields["name"]
		u = &upload{
			f: f, path: f.Name(), name: path.Base(filepath.ToSlash(name)),
			total: req.TotalLen, md5: req.FileMd5, chunks: chunks, got: map[int]bool{},
		}
		s.uploads[key] = u
	}
	return u, chunk, 0, ""
}

// finishUpload turns a complete upload into a mediaFile (once); it returns
// nil while chunks are missing.
func (s *Server) finishUpload(u *upload) (*mediaFile, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.media != nil {
		return u.media, nil
	}
	if len(u.got) < u.chunks {
		return nil, nil
	}
	if u.written != u.total {
		return nil, fmt.Errorf("size mismatch: got %d of %d", u.written, u.total)
	}
	if _, err := u.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("rewind upload: %w", err)
	}
	sh, mh := sha256.New(), md5.New()
	if _, err := io.Copy(io.MultiWriter(sh, mh), u.f); err != nil {
		return nil, fmt.Errorf("hash upload: %w", err)
	}
	_ = u.f.Close()
	u.f = nil
	mf := &mediaFile{
		id: "@crypt_" + randHex(8) + "_" + randHex(32), path: u.path, name: u.name, size: u.total,
		sha256: hex.EncodeToString(sh.Sum(nil)), md5: hex.EncodeToString(mh.Sum(nil)),
	}
	if mf.md5 != u.md5 {
		// The client hashes from the file's current offset, so a mismatch is
		// a client quirk worth seeing in logs, not a reason to refuse.
		s.log.Warn("upload md5 differs from FileMd5", "name", u.name, "got", mf.md5, "claimed", u.md5)
	}
	u.media = mf
	s.mu.Lock()
	s.media[mf.id] = mf
	s.byDigest[u.md5+"|"+strconv.FormatInt(u.total, 10)] = mf.id
	s.mu.Unlock()
	s.log.Info("upload complete", "name", u.name, "size", u.total, "media_id", mf.id)
	return mf, nil
}
