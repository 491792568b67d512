package sandbox_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"dudaobot/sandbox"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath is where Debian's chromium package (installed by .ci/run)
// puts the browser; DUDAO_CHROMIUM overrides it on other machines.
func chromiumPath() string {
	if p := os.Getenv("DUDAO_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// Ensure the page works in a real browser, as the "done when" says:
// headless Chromium opens the sandbox page, acts as 县财政局's official
// uploading a .docx and sees the receipt, acts as the director sending 总览
// and sees 县财政局 as submitted (in the reply and in the compliance table),
// jumps the clock past the deadline and sees a reminder arrive live for
// 县委办公室, which has not submitted; then it saves screenshots (desktop and
// phone width) and checks the page threw no JavaScript error.
func TestBrowser(t *testing.T) {
	t.Parallel()
	exe := chromiumPath()
	if _, err := os.Stat(exe); err != nil {
		t.Fatalf("Chromium is required for the sandbox browser test and was not found at %s (%v).\n"+
			"Install it with: apt-get install -y chromium (.ci/run does), or set DUDAO_CHROMIUM to its path.", exe, err)
	}
	start := time.Now()
	s := startSandbox(t, t.TempDir())
	t.Cleanup(func() { s.Close() })

	doc := filepath.Join(t.TempDir(), "县财政局2026年度自查自评报告.docx")
	if err := os.WriteFile(doc, completeReport(t), 0o644); err != nil {
		t.Fatal(err)
	}

	// The whole browser session: a hang guard ending before the test's own
	// deadline, so that a hung step fails with its name and a screenshot.
	ctx, cancel := hangGuard(t)
	defer cancel()
	var chromeOut bytes.Buffer
	var outMu sync.Mutex
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
		chromedp.CombinedOutput(writerFunc(func(p []byte) (int, error) {
			outMu.Lock()
			defer outMu.Unlock()
			return chromeOut.Write(p)
		})),
	)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(allocCtx)
	defer cancelTab()
	t.Cleanup(func() {
		if t.Failed() {
			outMu.Lock()
			t.Logf("chromium output:\n%s", chromeOut.String())
			outMu.Unlock()
		}
	})

	// Collect uncaught JavaScript errors of the page.
	var jsErrs []string
	var jsMu sync.Mutex
	exceptions := chromedp.Events(tab, runtime.ExceptionThrown)
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			msg := ev.ExceptionDetails.Text
			if ex := ev.ExceptionDetails.Exception; ex != nil && ex.Description != "" {
				msg += " " + ex.Description
			}
			jsMu.Lock()
			jsErrs = append(jsErrs, msg)
			jsMu.Unlock()
		}
	}()

	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tab, actions...); err != nil {
			shot(t, tab, "failed")
			t.Fatalf("%s: %v (after %v)", name, err, time.Since(start).Round(time.Millisecond))
		}
	}
	// waitJS polls a JavaScript predicate in the page (no fixed sleeps, and
	// no polling timeout of its own: the tab's hang guard bounds it).
	waitJS := func(what, expr string) {
		t.Helper()
		if _, err := chromedp.Run(tab, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(0), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
			shot(t, tab, "failed")
			t.Fatalf("waiting for %s: %v (after %v)", what, err, time.Since(start).Round(time.Millisecond))
		}
	}
	openChat := func(remark string) {
		t.Helper()
		sel := fmt.Sprintf(`[data-contact-remark=%q]`, remark)
		step("open "+remark, chromedp.ScrollIntoView(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
		waitJS("the chat with "+remark, fmt.Sprintf(`document.querySelector('#chat-title').dataset.contactRemark === %q && !document.querySelector('#msg-input').disabled && !document.querySelector('#messages .empty-hint[data-loading]')`, remark))
	}
	botSaid := func(what, js string) {
		t.Helper()
		waitJS(what, `[...document.querySelectorAll('#messages .msg.bot .bubble')].some(b => { const x = b.textContent; return `+js+`; })`)
	}

	// The page loads with the whole roster.
	step("open the page", chromedp.Navigate(s.URL()))
	waitJS("the page to be ready", `document.body.dataset.ready === 'true' && document.querySelectorAll('.contact[data-contact-remark]').length === 57`)
	waitJS("the bot online", `document.querySelector('#bot-status').dataset.online === 'true'`)

	// 1. As 县财政局's official: upload the .docx, see the receipt.
	openChat("督导-财政局")
	step("upload the report", chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{doc}))
	waitJS("the upload in the chat", `[...document.querySelectorAll('#messages .msg.me[data-kind="file"]')].some(m => m.textContent.includes('县财政局2026年度自查自评报告.docx'))`)
	botSaid("the receipt", `x.startsWith('【回执】') && x.includes('单位：县财政局') && x.includes('自查自评报告（第1版）') && x.includes('县财政局2026年度自查自评报告.docx')`)

	// 2. As the director: 总览 shows 县财政局 as submitted on time, and so
	// does the compliance table.
	openChat("督导办主任")
	step("type 总览", chromedp.SendKeys(chromedp.CSS("#msg-input"), "总览"), chromedp.Click(chromedp.CSS("#send-btn"), chromedp.NodeVisible))
	botSaid("the overview", `x.includes('督导评价总览') && x.includes('自查自评报告：已交1，未交26') && !x.includes('县财政局')`)
	waitJS("县财政局 on time in the table", `document.querySelector('#compliance-table tr[data-unit="czj"] td[data-stage="self_assessment"]')?.dataset.kind === 'on_time'`)
	// The board follows the text as an image, shown in the chat like any
	// picture (decoded by the browser at its full 1080 px width).
	waitJS("the board picture in the chat", `(() => { const i = [...document.querySelectorAll('#messages .msg.bot[data-kind="image"] img.chat-image')].pop(); return !!i && i.complete && i.naturalWidth === 1080; })()`)
	const boardImg = `#messages .msg.bot[data-kind="image"] img.chat-image`
	step("scroll to the board", chromedp.ScrollIntoView(chromedp.CSS(boardImg), chromedp.NodeVisible))
	board, err := chromedp.Run(tab, chromedp.Screenshot(chromedp.CSS(boardImg), chromedp.NodeVisible))
	if err != nil {
		t.Errorf("board screenshot: %v", err)
	}
	if img, err := png.Decode(bytes.NewReader(board)); err != nil || img.Bounds().Dx() < 200 {
		t.Errorf("board screenshot: %v (%d bytes)", err, len(board))
	} else {
		path := filepath.Join(os.TempDir(), "dudaobot-sandbox-board.png")
		if err := os.WriteFile(path, board, 0o644); err != nil {
			t.Errorf("board screenshot: %v", err)
		}
		t.Logf("board screenshot: %s (%v)", path, img.Bounds().Size())
	}

	// 3. Jump past the deadline (1 March): 县委办公室, which has not
	// submitted, gets its reminders live — the unread badge appears without a
	// reload — and the last one says it is overdue.
	step("jump to 2 March",
		chromedp.SetValue(chromedp.CSS("#jump-date"), "2027-03-02"),
		chromedp.SetValue(chromedp.CSS("#jump-time"), "10:30"),
		chromedp.Click(chromedp.CSS("#jump-btn"), chromedp.NodeVisible))
	waitJS("a reminder for 县委办公室 (unread badge)", `(() => { const b = document.querySelector('[data-contact-remark="督导-县委办"] .unread'); return b && !b.hidden && Number(b.textContent) > 0; })()`)
	waitJS("the jump to end", `document.querySelector('#clock-box').dataset.jumping === 'false' && document.querySelector('#clock-now').textContent.includes('2027年3月2日')`)
	openChat("督导-县委办")
	botSaid("the overdue reminder", `x.startsWith('【督导提醒】县委办公室') && x.includes('自查自评报告') && x.includes('已记为逾期')`)
	waitJS("县委办公室 overdue in the table", `document.querySelector('#compliance-table tr[data-unit="xwb"] td[data-stage="self_assessment"]')?.dataset.kind === 'overdue'`)
	// 县财政局 submitted: it was never reminded.
	for _, m := range s.Sim().SentTo(sentToID(t, s, "督导-财政局")) {
		if strings.HasPrefix(m.Text, "【督导提醒】") {
			t.Errorf("县财政局 was reminded after submitting:\n%s", m.Text)
		}
	}

	path := shot(t, tab, "")
	t.Logf("screenshot: %s", path)

	// The page fits what it shows, measured in the browser: at desktop
	// width, and at phone width (390 px) in the chat and in the panel.
	// Before: status cells wrapped as 已逾期60/天, the feedback column said
	// 未提交（剩71天） for every unit months before the inspection ended,
	// every 县委 unit had the avatar 委, and the input's placeholder was cut
	// off on a phone.
	if !evalJS[bool](t, tab, `(() => { const c = [...document.querySelectorAll('#compliance-table td[data-stage="feedback"]')]; return c.length === 28 && c.every(td => td.textContent === ''); })()`) {
		t.Error("the feedback column is not empty before the inspection ends")
	}
	avatars := evalJS[[]string](t, tab, `[...document.querySelectorAll('.contact[data-role="official"] .avatar')].map(a => a.textContent)`)
	seen := map[string]bool{}
	for _, a := range avatars {
		if seen[a] || a == "委" || a == "" {
			t.Errorf("avatar %q repeated or not a unit's initials (all: %v)", a, avatars)
		}
		seen[a] = true
	}
	if len(avatars) != 28 {
		t.Errorf("%d official avatars, want 28", len(avatars))
	}
	if bad := evalJS[[]string](t, tab, layoutProblemsJS); len(bad) > 0 {
		t.Errorf("desktop layout: %v", bad)
	}

	// Phone width: one column with tabs.
	step("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	waitJS("the one-column layout", `getComputedStyle(document.querySelector('#tabs')).display !== 'none' && getComputedStyle(document.querySelector('#side-pane')).display === 'none' && getComputedStyle(document.querySelector('#chat-pane')).display !== 'none' && document.querySelector('#chat-pane').getBoundingClientRect().width <= 390`)
	if bad := evalJS[[]string](t, tab, layoutProblemsJS); len(bad) > 0 {
		t.Errorf("phone layout, chat: %v", bad)
	}
	t.Logf("phone screenshot: %s", shot(t, tab, "phone"))
	step("the panel tab", chromedp.Click(chromedp.CSS(`#tabs button[data-tab="panel"]`), chromedp.NodeVisible))
	waitJS("the panel at phone width", `getComputedStyle(document.querySelector('#side-pane')).display !== 'none' && document.querySelector('#compliance-table').getBoundingClientRect().width > 0`)
	if bad := evalJS[[]string](t, tab, layoutProblemsJS); len(bad) > 0 {
		t.Errorf("phone layout, panel: %v", bad)
	}
	t.Logf("phone panel screenshot: %s", shot(t, tab, "phone-panel"))

	jsMu.Lock()
	defer jsMu.Unlock()
	if len(jsErrs) > 0 {
		t.Errorf("JavaScript errors on the page:\n%s", strings.Join(jsErrs, "\n"))
	}
	t.Logf("browser test took %v", time.Since(start).Round(time.Millisecond))
}

// layoutProblemsJS lists, in the page, what does not fit where it is shown:
// a status cell of the table whose text overflows the cell or wraps onto a
// second line (only cells on screen are measured), and the input's
// placeholder wider than the box's inner width (measured with the box's
// own font on a canvas).
const layoutProblemsJS = `(() => {
  const bad = [];
  for (const td of document.querySelectorAll('#compliance-table td')) {
    if (td.getClientRects().length === 0) continue;
    const text = td.firstChild;
    if (!text || text.nodeType !== Node.TEXT_NODE || text.textContent === '') continue;
    if (td.scrollWidth > td.clientWidth + 1) bad.push('cell overflows: ' + td.textContent);
    const r = document.createRange();
    r.selectNodeContents(text);
    if (r.getClientRects().length > 1) bad.push('cell wraps: ' + text.textContent);
  }
  const ta = document.querySelector('#msg-input');
  if (ta.getClientRects().length > 0) {
    const cs = getComputedStyle(ta);
    const ctx = document.createElement('canvas').getContext('2d');
    ctx.font = cs.font;
    const need = ctx.measureText(ta.placeholder).width;
    const room = ta.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    if (need > room) bad.push('placeholder clipped: "' + ta.placeholder + '" needs ' + Math.ceil(need) + ' px, has ' + Math.floor(room));
  }
  return bad;
})()`

// evalJS evaluates expr in the page and returns its value.
func evalJS[T any](t *testing.T, tab context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(tab, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// sentToID is the simulator contact id of a remark.
func sentToID(t *testing.T, s *sandbox.Sandbox, remark string) string {
	t.Helper()
	for _, c := range s.Sim().Contacts() {
		if c.RemarkName == remark {
			return c.ID
		}
	}
	t.Fatalf("no simulator contact %q", remark)
	return ""
}

// shot saves a full-page PNG under the temp folder and returns its path.
func shot(t *testing.T, tab context.Context, suffix string) string {
	t.Helper()
	name := "dudaobot-sandbox-screenshot"
	if suffix != "" {
		name += "-" + suffix
	}
	path := filepath.Join(os.TempDir(), name+".png")
	// The tab is bounded by the test's hang guard; no window of its own.
	buf, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot: %v", err)
		return ""
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Errorf("screenshot: %v", err)
	}
	return path
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
