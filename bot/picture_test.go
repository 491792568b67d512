package bot_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"path/filepath"
	"testing"

	"dudaobot/bot"
	"dudaobot/rules"
	"dudaobot/wxsim"
)

// TestSendPicture: a .png goes out as an image message (webwxsendmsgimg),
// so the phone shows it in the chat; its bytes arrive unchanged.
func TestSendPicture(t *testing.T) {
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	zhang := sim.AddContact("张三", "督导办主任")
	files := t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 64, 32))
	img.Set(3, 3, color.RGBA{0x8f, 0xd1, 0x9e, 0xff})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	writeTemp(t, files, "cd56ef78", buf.Bytes())
	r := onlineClient(t, sim, clientOpts{mod: func(o *bot.Options) {
		o.ResolveFile = func(p string) (string, error) { return filepath.Join(files, p), nil }
	}})
	if err := r.c.Send(ctxT(t), rules.Outgoing{Key: "p", To: rules.Recipient{Remark: "督导办主任"},
		FilePath: "cd56ef78", FileName: "2027年督导评价总览.png"}); err != nil {
		t.Fatal(err)
	}
	sent := sim.SentTo(zhang.ID)
	if len(sent) != 1 || sent[0].Kind != "image" {
		t.Fatalf("sent = %+v, want one image message", sent)
	}
	rc, err := sim.OpenSentFile(sent[0].Seq)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	_ = rc.Close()
	if !bytes.Equal(got, buf.Bytes()) {
		t.Fatalf("image bytes differ: %d vs %d", len(got), len(buf.Bytes()))
	}
}
