// Package docstore keeps the documents units submit, under files_dir.
//
// A blob is named by its content: <sha256[0:2]>/<sha256>.<ext>. The sender's
// file name never reaches the filesystem (it is only sanitised metadata for
// the database), so a hostile name cannot choose where a file goes, and the
// same bytes sent twice are stored once. Every file access goes through an
// os.Root opened on the directory, a second layer that refuses any path that
// would resolve outside it.
//
// A blob is written as temp file → fsync → close → rename → fsync of the
// directory: readers never see a partial file, and once Put returns the blob
// survives power loss. On any error the temp file is removed, so nothing
// half-written remains; temp files a crash left behind are removed by
// CleanTemp, which Open runs.
package docstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"dudaobot/rules"
)

// Errors returned by Put; compare with errors.Is. They are the domain's own
// refusals (rules), so callers tell them apart without importing docstore.
var (
	// ErrTooLarge means the content exceeded PutOptions.MaxSize.
	ErrTooLarge = rules.ErrFileTooLarge
	// ErrBadContent means the bytes are not what the extension claims
	// (wrong magic bytes, an HTML error page, invalid UTF-8 text).
	ErrBadContent = rules.ErrFileContent
	// ErrBadType means the extension is not an accepted document type.
	ErrBadType = rules.ErrFileType
	// ErrQuota means the content exceeded PutOptions.QuotaLeft, the
	// sender's allowance for the day.
	ErrQuota = rules.ErrFileQuota
	// ErrDiskFull means the disk had less free space than
	// Options.MinFreeBytes before or after the write, or the write failed
	// with ENOSPC. Nothing was stored.
	ErrDiskFull = rules.ErrDiskFull
)

// Options configures OpenWith.
type Options struct {
	// MinFreeBytes is the free space Put leaves on the disk (0: none).
	MinFreeBytes int64
}

// DefaultMaxSize applies when PutOptions.MaxSize is not positive.
const DefaultMaxSize int64 = 50 << 20

// tempPrefix marks temp files. It starts with a dot so that no blob path
// (which starts with two hex digits) can ever collide with it.
const tempPrefix = ".tmp-"

// Store is a content-addressed file store rooted at one directory. It is
// safe for concurrent use.
type Store struct {
	dir  string // absolute
	root *os.Root

	minFree int64

	mu       sync.Mutex
	inFlight map[string]bool // temp names being written; CleanTemp spares them
}

// Open opens (creating it if needed) the store at dir and removes temp files
// left by a crash.
func Open(dir string) (*Store, error) { return OpenWith(dir, Options{}) }

// OpenWith is Open with limits.
func OpenWith(dir string, o Options) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("docstore: open %s: %w", dir, err)
	}
	if _, err := os.Stat(abs); errors.Is(err, fs.ErrNotExist) {
		// A new files folder is the bot's alone, whatever the umask.
		if err := os.MkdirAll(abs, 0o700); err != nil {
			return nil, fmt.Errorf("docstore: open %s: %w", dir, err)
		}
		if err := os.Chmod(abs, 0o700); err != nil {
			return nil, fmt.Errorf("docstore: open %s: %w", dir, err)
		}
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("docstore: open %s: %w", dir, err)
	}
	s := &Store{dir: abs, root: root, inFlight: map[string]bool{}, minFree: o.MinFreeBytes}
	if _, err := s.CleanTemp(); err != nil {
		_ = root.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the directory handle.
func (s *Store) Close() error { return s.root.Close() }

// Dir returns the absolute directory of the store.
func (s *Store) Dir() string { return s.dir }

// PutOptions says what a Put may accept.
type PutOptions struct {
	// Ext is the accepted lower-case extension, from ExtOf of the
	// sanitised name; the content must match it.
	Ext string
	// MaxSize is the largest accepted size in bytes (DefaultMaxSize if
	// not positive). One byte more and Put fails with ErrTooLarge.
	MaxSize int64
	// Quota turns on QuotaLeft: the bytes the sender may still store
	// today. Content beyond it (but within MaxSize) fails with ErrQuota.
	Quota     bool
	QuotaLeft int64
}

// Blob is a stored document.
type Blob struct {
	Path   string // relative, server-generated: <sha[0:2]>/<sha256>.<ext>
	Size   int64
	SHA256 string // hex
}

// Put streams r into the store and returns the blob. The SHA-256 is
// computed while writing; the stream is cut at MaxSize+1 bytes (WeChat's
// announced size is only a hint); the content is checked against o.Ext.
func (s *Store) Put(ctx context.Context, r io.Reader, o PutOptions) (Blob, error) {
	if !allowed[o.Ext] {
		return Blob{}, fmt.Errorf("%w: %q", ErrBadType, o.Ext)
	}
	limit := o.MaxSize
	if limit <= 0 {
		limit = DefaultMaxSize
	}
	quotaCut := false
	if o.Quota {
		if o.QuotaLeft <= 0 {
			return Blob{}, fmt.Errorf("%w: nothing left today", ErrQuota)
		}
		if o.QuotaLeft < limit {
			limit, quotaCut = o.QuotaLeft, true
		}
	}
	if err := s.checkFree(); err != nil {
		return Blob{}, err
	}
	name, f, err := s.createTemp()
	if err != nil {
		return Blob{}, err
	}
	done := false
	defer func() {
		if !done {
			// Before the rename the temp file is ours to remove; after a
			// successful rename it no longer exists under this name.
			_ = f.Close()
			_ = s.root.Remove(name)
		}
		s.mu.Lock()
		delete(s.inFlight, name)
		s.mu.Unlock()
	}()

	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(ctxReader{ctx, r}, limit+1))
	if errors.Is(err, syscall.ENOSPC) {
		return Blob{}, fmt.Errorf("%w: write: %w", ErrDiskFull, err)
	}
	if err != nil {
		return Blob{}, fmt.Errorf("docstore: put: write: %w", err)
	}
	if n > limit {
		if quotaCut {
			return Blob{}, fmt.Errorf("%w: more than the %d bytes left today", ErrQuota, limit)
		}
		return Blob{}, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	if err := checkContent(f, n, o.Ext); err != nil {
		return Blob{}, err
	}
	if err := f.Sync(); err != nil {
		if errors.Is(err, syscall.ENOSPC) {
			return Blob{}, fmt.Errorf("%w: sync: %w", ErrDiskFull, err)
		}
		return Blob{}, fmt.Errorf("docstore: put: sync: %w", err)
	}
	// The file is written: if it took the disk below the reserve, it goes
	// (the reserve is the database's room to keep working).
	if err := s.checkFree(); err != nil {
		return Blob{}, err
	}
	if err := f.Close(); err != nil {
		return Blob{}, fmt.Errorf("docstore: put: close: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	b := Blob{Path: sum[:2] + "/" + sum + "." + o.Ext, Size: n, SHA256: sum}
	if err := ctx.Err(); err != nil {
		return Blob{}, fmt.Errorf("docstore: put: %w", err)
	}
	if err := s.root.MkdirAll(sum[:2], 0o700); err != nil {
		return Blob{}, fmt.Errorf("docstore: put: mkdir: %w", err)
	}
	if same, err := s.hasBlob(b); err != nil {
		return Blob{}, err
	} else if same {
		// Same bytes already stored (content addressing): drop the temp.
		return b, nil
	}
	// A different file under the same name can only be a damaged copy;
	// the rename replaces it with the good bytes.
	if err := s.root.Rename(name, b.Path); err != nil {
		return Blob{}, fmt.Errorf("docstore: put: rename: %w", err)
	}
	done = true
	// The rename is durable only once the directories holding the new
	// entry are synced (ext4 can otherwise lose it after a power cut).
	if err := s.syncDir(sum[:2]); err != nil {
		return Blob{}, err
	}
	if err := s.syncDir("."); err != nil {
		return Blob{}, err
	}
	return b, nil
}

// checkFree fails with ErrDiskFull when the disk holding the store has less
// than minFree bytes available to this process.
func (s *Store) checkFree() error {
	if s.minFree <= 0 {
		return nil
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(s.dir, &st); err != nil {
		return fmt.Errorf("docstore: put: free space: %w", err)
	}
	if free := uint64(st.Bavail) * uint64(st.Bsize); free < uint64(s.minFree) {
		return fmt.Errorf("%w: %d bytes free, %d kept in reserve", ErrDiskFull, free, s.minFree)
	}
	return nil
}

// PutBytes is Put for content already in memory.
func (s *Store) PutBytes(ctx context.Context, b []byte, o PutOptions) (Blob, error) {
	return s.Put(ctx, bytes.NewReader(b), o)
}

// Open opens a stored blob for reading. Only server-generated paths are
// accepted; anything else is refused before it reaches the filesystem.
func (s *Store) Open(path string) (*os.File, error) {
	if !validPath(path) {
		return nil, fmt.Errorf("docstore: open %q: %w", path, fs.ErrInvalid)
	}
	f, err := s.root.Open(path)
	if err != nil {
		return nil, fmt.Errorf("docstore: open: %w", err)
	}
	return f, nil
}

// Abs returns the absolute file name of a stored blob (for transports that
// need a name, e.g. to upload it); same path rules as Open.
func (s *Store) Abs(path string) (string, error) {
	if !validPath(path) {
		return "", fmt.Errorf("docstore: abs %q: %w", path, fs.ErrInvalid)
	}
	if _, err := s.root.Stat(path); err != nil {
		return "", fmt.Errorf("docstore: abs: %w", err)
	}
	return filepath.Join(s.dir, filepath.FromSlash(path)), nil
}

// CleanTemp removes temp files a crash left behind (the writes that are in
// progress in this process are spared) and returns how many it removed.
func (s *Store) CleanTemp() (int, error) {
	d, err := s.root.Open(".")
	if err != nil {
		return 0, fmt.Errorf("docstore: clean temp: %w", err)
	}
	names, err := d.Readdirnames(-1)
	_ = d.Close()
	if err != nil {
		return 0, fmt.Errorf("docstore: clean temp: %w", err)
	}
	removed := 0
	for _, n := range names {
		if !strings.HasPrefix(n, tempPrefix) {
			continue
		}
		s.mu.Lock()
		busy := s.inFlight[n]
		s.mu.Unlock()
		if busy {
			continue
		}
		if err := s.root.Remove(n); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("docstore: clean temp: %w", err)
		}
		removed++
	}
	return removed, nil
}

func (s *Store) createTemp() (string, *os.File, error) {
	var rnd [12]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", nil, fmt.Errorf("docstore: put: temp name: %w", err)
	}
	name := tempPrefix + hex.EncodeToString(rnd[:])
	s.mu.Lock()
	s.inFlight[name] = true
	s.mu.Unlock()
	f, err := s.root.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		s.mu.Lock()
		delete(s.inFlight, name)
		s.mu.Unlock()
		return "", nil, fmt.Errorf("docstore: put: create temp: %w", err)
	}
	return name, f, nil
}

// hasBlob reports whether b is stored already with exactly its content.
func (s *Store) hasBlob(b Blob) (bool, error) {
	f, err := s.root.Open(b.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("docstore: put: check existing: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return false, fmt.Errorf("docstore: put: check existing: %w", err)
	}
	return n == b.Size && hex.EncodeToString(h.Sum(nil)) == b.SHA256, nil
}

func (s *Store) syncDir(name string) error {
	d, err := s.root.Open(name)
	if err != nil {
		return fmt.Errorf("docstore: put: sync dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("docstore: put: sync dir: %w", err)
	}
	return nil
}

// validPath accepts exactly the paths Put generates.
func validPath(p string) bool {
	shard, rest, ok := strings.Cut(p, "/")
	if !ok || len(shard) != 2 {
		return false
	}
	sum, ext, ok := strings.Cut(rest, ".")
	if !ok || len(sum) != 64 || !allowed[ext] || sum[:2] != shard {
		return false
	}
	for i := 0; i < len(sum); i++ {
		if c := sum[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ctxReader stops a long copy when the context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
