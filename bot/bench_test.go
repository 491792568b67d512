package bot_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eatmoreapple/openwechat"

	"dudaobot/bot"
	"dudaobot/rules"
	"dudaobot/wxsim"
)

// benchIntake only counts (the benchmark measures the transport).
type benchIntake struct {
	n      atomic.Int64
	target atomic.Int64
	done   chan struct{}
	once   sync.Once
}

func (c *benchIntake) arm(target int64) {
	c.n.Store(0)
	c.done = make(chan struct{})
	c.once = sync.Once{}
	c.target.Store(target)
}

func (c *benchIntake) Accept(context.Context, rules.Inbound) error {
	if c.n.Add(1) == c.target.Load() {
		c.once.Do(func() { close(c.done) })
	}
	return nil
}

// BenchmarkInboundText: text messages/s from wxsim to the Intake through our
// Client (conversion, durable-commit storage, backoff handler) versus a
// no-op openwechat bot on the same simulator. Reports both rates and the
// ratio client/noop.
func BenchmarkInboundText(b *testing.B) {
	sim := newSim(b, wxsim.Options{AutoConfirm: true, LongPollHold: time.Second})
	ids := make([]string, 10)
	for i := range ids {
		ids[i] = sim.AddContact("联络员"+strconv.Itoa(i), "unit-"+strconv.Itoa(i)).ID
	}
	send := func(n int) {
		for i := 0; i < n; i++ {
			if _, err := sim.SendText(ids[i%len(ids)], "消息"+strconv.Itoa(i)); err != nil {
				b.Fatal(err)
			}
		}
	}

	// Our client.
	bi := &benchIntake{}
	c := bot.New(bot.Options{HotLoginFile: filepath.Join(b.TempDir(), "hot.json"), Transport: sim.Transport(),
		QRWriter: io.Discard, Logger: testLogger(b)}, bi)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	if err := sim.WaitLoggedIn(ctxT(b)); err != nil {
		b.Fatal(err)
	}
	for !c.Online() {
		runtime.Gosched()
	}

	b.ResetTimer()
	bi.arm(int64(b.N))
	start := time.Now()
	send(b.N)
	<-bi.done
	ours := time.Since(start)
	b.StopTimer()
	cancel()
	<-done

	// A no-op openwechat bot (stock, no storage) on the same simulator.
	var n atomic.Int64
	target := int64(b.N)
	noopDone := make(chan struct{})
	var once sync.Once
	rb := newRawBot(b, sim, func(m *openwechat.Message) {
		if m.IsText() && n.Add(1) == target {
			once.Do(func() { close(noopDone) })
		}
	})
	if err := rb.bot.Login(); err != nil {
		b.Fatal(err)
	}
	start = time.Now()
	send(b.N)
	<-noopDone
	noop := time.Since(start)
	rb.cancel()

	oursRate := float64(b.N) / ours.Seconds()
	noopRate := float64(b.N) / noop.Seconds()
	b.ReportMetric(oursRate, "client-msgs/s")
	b.ReportMetric(noopRate, "noop-msgs/s")
	b.ReportMetric(oursRate/noopRate, "ratio")
}

// BenchmarkReceive200MB streams a 200 MB attachment to disk through File.Open
// and reports throughput, the peak sampled heap and the process's peak RSS.
func BenchmarkReceive200MB(b *testing.B) {
	const size = 200 << 20
	sim := newSim(b, wxsim.Options{AutoConfirm: true})
	zhang := sim.AddContact("张三", "czj-zhang")
	in := newIntake()
	r := startClient(b, sim, in, clientOpts{mod: func(o *bot.Options) {
		o.DownloadTimeout = 10 * time.Minute
		o.MaxFileBytes = 1 << 30
	}})
	r.waitStatus(b, true)
	h := sha256.New()
	id, err := sim.SendFile(zhang.ID, "超大附件（测试）.zip", io.TeeReader(io.LimitReader(rand.New(rand.NewSource(3)), size), h))
	if err != nil {
		b.Fatal(err)
	}
	want := hex.EncodeToString(h.Sum(nil))
	msg := in.waitMsg(b, id, 1)

	var peakHeap atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peakHeap.Load() {
				peakHeap.Store(ms.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := os.Create(filepath.Join(b.TempDir(), "out.bin"))
		if err != nil {
			b.Fatal(err)
		}
		rc, err := msg.File.Open(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		dh := sha256.New()
		if _, err := io.Copy(io.MultiWriter(f, dh), rc); err != nil {
			b.Fatal(err)
		}
		_ = rc.Close()
		_ = f.Close()
		if hex.EncodeToString(dh.Sum(nil)) != want {
			b.Fatal("sha256 mismatch")
		}
		_ = os.Remove(f.Name())
	}
	b.StopTimer()
	close(stop)
	wg.Wait()
	b.ReportMetric(float64(peakHeap.Load())/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(vmHWM())/(1<<10), "VmHWM-MiB")
}

// vmHWM is the process's peak resident set size in KiB (Linux).
func vmHWM() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return -1
}
