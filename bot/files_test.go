package bot_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dudaobot/bot"
	"dudaobot/rules"
	"dudaobot/wxsim"
)

// onlineClient starts a client with AutoConfirm and waits until it is online.
func onlineClient(t testing.TB, sim *wxsim.Server, co clientOpts) *runner {
	t.Helper()
	r := startClient(t, sim, nil, co)
	r.waitStatus(t, true)
	return r
}

// TestLargeFileStreamed: a 20 MB attachment with a Chinese name is streamed
// to disk; the SHA-256 matches and the heap grows far less than the file.
func TestLargeFileStreamed(t *testing.T) {
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	zhang := sim.AddContact("张三", "czj-zhang")
	r := onlineClient(t, sim, clientOpts{})

	const size = 20 << 20
	name := "关于2027年度督导工作的自查报告（终稿）.pdf"
	h := sha256.New()
	src := io.TeeReader(io.LimitReader(rand.New(rand.NewSource(1)), size), h)
	id, err := sim.SendFile(zhang.ID, name, src)
	if err != nil {
		t.Fatal(err)
	}
	want := hex.EncodeToString(h.Sum(nil))
	in := r.in.waitMsg(t, id, 1)
	if in.File == nil || in.File.Name != name || in.File.Size != size {
		t.Fatalf("inbound = %+v", in.File)
	}

	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		tk := time.NewTicker(2 * time.Millisecond)
		defer tk.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-tk.C:
			}
		}
	}()

	out, err := os.Create(filepath.Join(t.TempDir(), "download.bin"))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := in.File.Open(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	dh := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, dh), rc)
	_ = rc.Close()
	_ = out.Close()
	close(stop)
	wg.Wait()
	if err != nil || n != size {
		t.Fatalf("copied %d bytes: %v", n, err)
	}
	if got := hex.EncodeToString(dh.Sum(nil)); got != want {
		t.Fatalf("sha256 = %s, want %s", got, want)
	}
	growth := int64(peak.Load()) - int64(base.HeapAlloc)
	t.Logf("20 MiB download: peak heap growth %.2f MiB (HeapAlloc base %.2f MiB, peak %.2f MiB)",
		float64(growth)/(1<<20), float64(base.HeapAlloc)/(1<<20), float64(peak.Load())/(1<<20))
	if growth > 8<<20 {
		t.Errorf("heap grew %d bytes while streaming %d: not streamed", growth, size)
	}
}

// xlsxBytes builds a minimal OOXML zip (what the intake sniffs for).
func xlsxBytes(t testing.TB) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{
		"[Content_Types].xml":  `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"></Types>`,
		"xl/workbook.xml":      `<workbook/>`,
		"xl/worksheets/s1.xml": strings.Repeat(`<row><c t="inlineStr"><is><t>县财政局 已报送</t></is></c></row>`, 20000),
	} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(w, body)
	}
	// An incompressible stored part makes the upload span several 512 KiB chunks.
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "xl/media/image1.png", Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.CopyN(w, rand.New(rand.NewSource(7)), 1_300_000)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestSendXLSX: an .xlsx out arrives with its display name, size and
// SHA-256; the docstore path is resolved through ResolveFile.
func TestSendXLSX(t *testing.T) {
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	zhang := sim.AddContact("张三", "czj-zhang")
	files := t.TempDir()
	data := xlsxBytes(t)
	writeTemp(t, files, "ab12cd34", data) // content-addressed name, as docstore stores it
	var resolved atomic.Int32
	r := onlineClient(t, sim, clientOpts{mod: func(o *bot.Options) {
		o.ResolveFile = func(p string) (string, error) {
			resolved.Add(1)
			return filepath.Join(files, p), nil
		}
	}})
	name := "督导台账（2027年）.xlsx"
	err := r.c.Send(ctxT(t), rules.Outgoing{Key: "x", To: rules.Recipient{Remark: "czj-zhang"},
		Text: "请查收台账。", FilePath: "ab12cd34", FileName: name})
	if err != nil {
		t.Fatal(err)
	}
	sent := sim.SentTo(zhang.ID)
	if len(sent) != 2 || sent[0].Kind != "text" || sent[1].Kind != "file" {
		t.Fatalf("sent = %+v", sent)
	}
	f := sent[1]
	sum := sha256.Sum256(data)
	if f.FileName != name || f.Size != int64(len(data)) || f.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("file as seen by wxsim: %+v (want size %d)", f, len(data))
	}
	rc, err := sim.OpenSentFile(f.Seq)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	_ = rc.Close()
	if !bytes.Equal(got, data) || resolved.Load() != 1 {
		t.Fatalf("content differs or ResolveFile not used (%d)", resolved.Load())
	}
	t.Logf("xlsx out: name=%q size=%d sha256=%s", f.FileName, f.Size, f.SHA256)

	// Refusals before any upload.
	empty := writeTemp(t, files, "empty", nil)
	if err := r.c.Send(ctxT(t), rules.Outgoing{Key: "e", To: rules.Recipient{Remark: "czj-zhang"}, FilePath: filepath.Base(empty), FileName: "空.docx"}); err == nil {
		t.Error("empty file sent")
	}
}

// TestDownloadErrorPages: a download answered by an error page must fail in
// File.Open (so nothing is stored), whatever the status says.
func TestDownloadErrorPages(t *testing.T) {
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	zhang := sim.AddContact("张三", "czj-zhang")
	var html200 atomic.Bool
	r := onlineClient(t, sim, clientOpts{transport: func(base http.RoundTripper) http.RoundTripper {
		return rtFunc(func(req *http.Request) (*http.Response, error) {
			if html200.Load() && strings.HasSuffix(req.URL.Path, "/webwxgetmedia") {
				body := "<!DOCTYPE html><html><head><title>出错了</title></head><body>请稍后再试</body></html>"
				return &http.Response{StatusCode: 200, Status: "200 OK", Request: req,
					Header: http.Header{"Content-Type": {"application/octet-stream"}},
					Body:   io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}, nil
			}
			return base.RoundTrip(req)
		})
	}})
	id, err := sim.SendFile(zhang.ID, "报告.docx", bytes.NewReader(xlsxBytes(t)))
	if err != nil {
		t.Fatal(err)
	}
	in := r.in.waitMsg(t, id, 1)

	// 502 with an HTML body (wxsim fault).
	sim.InjectFault(wxsim.Fault{Endpoint: "webwxgetmedia", Kind: wxsim.FaultHTTP5xx, Count: 1})
	if _, err := readAllOpen(ctxT(t), in.File); err == nil || !strings.Contains(err.Error(), "502") {
		t.Errorf("502 page: err = %v", err)
	}
	// 200 whose body is an HTML page.
	html200.Store(true)
	if _, err := readAllOpen(ctxT(t), in.File); err == nil || !strings.Contains(err.Error(), "HTML") {
		t.Errorf("200 HTML page: err = %v", err)
	}
	html200.Store(false)
	// And the real thing still downloads.
	if b, err := readAllOpen(ctxT(t), in.File); err != nil || len(b) == 0 {
		t.Errorf("download after errors: %d bytes, %v", len(b), err)
	}
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestInboundImageAndOther: pictures are downloadable images; other kinds
// are MsgOther.
func TestInboundImageAndOther(t *testing.T) {
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	zhang := sim.AddContact("张三", "czj-zhang")
	r := onlineClient(t, sim, clientOpts{})
	png := []byte("\x89PNG\r\n\x1a\n" + strings.Repeat("\x00", 1000))
	id, err := sim.SendImage(zhang.ID, png)
	if err != nil {
		t.Fatal(err)
	}
	in := r.in.waitMsg(t, id, 1)
	if in.Kind != rules.MsgImage || in.File == nil {
		t.Fatalf("image = %+v", in)
	}
	got, err := readAllOpen(ctxT(t), in.File)
	if err != nil || !bytes.Equal(got, png) {
		t.Fatalf("image download: %d bytes, %v", len(got), err)
	}
	for _, typ := range []int{43, 47, 49, 42, 48} {
		id, err := sim.SendOther(zhang.ID, typ)
		if err != nil {
			t.Fatal(err)
		}
		if m := r.in.waitMsg(t, id, 1); m.Kind != rules.MsgOther || m.From.Remark != "czj-zhang" {
			t.Errorf("type %d: %+v", typ, m)
		}
	}
}

// TestDownloadTimeout: a hung download is cut by DownloadTimeout, not by the
// client's 30 s. Every other deadline of the client is set to an hour, so
// the only one that can end the hung download is DownloadTimeout; if it
// were not applied, the read would hang until the test's hang guard and
// fail. Nothing is timed.
func TestDownloadTimeout(t *testing.T) {
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	zhang := sim.AddContact("张三", "czj-zhang")
	r := onlineClient(t, sim, clientOpts{mod: func(o *bot.Options) {
		o.DownloadTimeout = 300 * time.Millisecond
		o.RequestTimeout = time.Hour
		o.LongPollTimeout = time.Hour
	}})
	id, _ := sim.SendFile(zhang.ID, "a.pdf", strings.NewReader("%PDF-1.4 ..."))
	in := r.in.waitMsg(t, id, 1)
	sim.InjectFault(wxsim.Fault{Endpoint: "webwxgetmedia", Kind: wxsim.FaultHang, Count: 1})
	done := make(chan error, 1)
	go func() {
		_, err := readAllOpen(context.Background(), in.File)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout") {
			t.Errorf("hung download: %v, want the download's own deadline", err)
		}
	case <-ctxT(t).Done(): // hang guard
		t.Fatal("the hung download was never cut: DownloadTimeout is not applied")
	}
}

// TestSendOver25MiB: an attachment above 25 MiB goes through
// webwxcheckupload and 52 chunks, keeping its display name.
func TestSendOver25MiB(t *testing.T) {
	if testing.Short() {
		t.Skip("26 MB upload")
	}
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	zhang := sim.AddContact("张三", "czj-zhang")
	r := onlineClient(t, sim, clientOpts{})
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "big"))
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(f, h), rand.New(rand.NewSource(5)), 26<<20); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	name := "整改材料汇编（含附件）.zip"
	if err := r.c.Send(ctxT(t), rules.Outgoing{Key: "big", To: rules.Recipient{Remark: "czj-zhang"}, FilePath: f.Name(), FileName: name}); err != nil {
		t.Fatal(err)
	}
	sent := sim.SentTo(zhang.ID)
	if len(sent) != 1 || sent[0].FileName != name || sent[0].Size != 26<<20 || sent[0].SHA256 != hex.EncodeToString(h.Sum(nil)) {
		t.Fatalf("sent = %+v", sent)
	}
}
