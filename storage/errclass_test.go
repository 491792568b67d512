package storage_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"dudaobot/clock"
	"dudaobot/rules"
	"dudaobot/storage"
	"dudaobot/storage/storagetest"
)

// TestWriteFailureClassified: a write the database cannot take now fails
// marked with the rules' named error (what the app's alert reads), records
// nothing, and succeeds once the cause is gone. Real failures on each
// driver: on SQLite another connection (another process, as the sqlite3
// CLI or a copy script would be) holds the write lock, so the write fails
// busy after its busy timeout; on PostgreSQL the server becomes unreachable
// (the loopback path to it is cut).
func TestWriteFailureClassified(t *testing.T) {
	for _, driver := range storagetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			o := storagetest.Options(t, driver, clock.NewFake(t0).Now)
			var fail, heal func()
			want := rules.ErrStoreBusy
			if driver == storage.DriverPostgres {
				want = rules.ErrStoreUnavailable
				p := startPGProxy(t, o.DSN)
				o.DSN = p.dsn
				fail, heal = p.cut, p.restore
			}
			s, err := storage.Open(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			if driver == storage.DriverSQLite {
				fail, heal = holdSQLiteLock(t, o.Path)
			}
			k := rules.InboundKey{Sender: "czj-zhang", MsgID: "m1", CreateTime: 1}
			fail()
			_, err = s.RecordInbound(ctx, k, rules.MsgText, "状态", t0)
			if !errors.Is(err, want) {
				t.Fatalf("write = %v, want %v", err, want)
			}
			heal()
			isNew, err := s.RecordInbound(ctx, k, rules.MsgText, "状态", t0.Add(time.Minute))
			if err != nil || !isNew {
				t.Fatalf("write after the cause is gone = %v, %v; want new, nil", isNew, err)
			}
			if again, err := s.RecordInbound(ctx, k, rules.MsgText, "状态", t0.Add(time.Minute)); err != nil || again {
				t.Errorf("the same message again = %v, %v; want a duplicate", again, err)
			}
		})
	}
}

// holdSQLiteLock opens path as another program would; fail takes the write
// lock (BEGIN IMMEDIATE) and keeps it, heal releases it.
func holdSQLiteLock(t *testing.T, path string) (fail, heal func()) {
	t.Helper()
	ctx := context.Background()
	other, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=60000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	exec := func(q string) {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return func() { exec("BEGIN IMMEDIATE") }, func() { exec("ROLLBACK") }
}

// pgProxy forwards a loopback port to the PostgreSQL server; cut closes
// every connection and refuses new ones (the server is unreachable),
// restore accepts again.
type pgProxy struct {
	t      *testing.T
	target string
	dsn    string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

func startPGProxy(t *testing.T, dsn string) *pgProxy {
	t.Helper()
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := &pgProxy{t: t, target: net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))}
	p.listen("127.0.0.1:0")
	port := p.ln.Addr().(*net.TCPAddr).Port
	if strings.Contains(dsn, "://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		u.Host = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		p.dsn = u.String()
	} else {
		p.dsn = dsn + " host=127.0.0.1 port=" + strconv.Itoa(port)
	}
	t.Cleanup(p.cut)
	return p
}

func (p *pgProxy) listen(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
}

func (p *pgProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *pgProxy) restore() {
	p.mu.Lock()
	addr := ""
	if p.dsn != "" {
		cfg, err := pgconn.ParseConfig(p.dsn)
		if err == nil {
			addr = net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
		}
	}
	p.mu.Unlock()
	p.listen(addr)
}
