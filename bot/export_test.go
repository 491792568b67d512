package bot

import (
	"log/slog"
	"sync"
	"time"
)

// HotStoreForTest exposes the hot-login storage to the external tests.
type HotStoreForTest struct{ h *hotStore }

// NewHotStoreForTest opens the storage on path as a login attempt would.
func NewHotStoreForTest(path string, fileMu *sync.Mutex) *HotStoreForTest {
	return &HotStoreForTest{h: newHotStore(path, fileMu, slog.New(slog.DiscardHandler))}
}

func (s *HotStoreForTest) Read(p []byte) (int, error)  { return s.h.Read(p) }
func (s *HotStoreForTest) Write(p []byte) (int, error) { return s.h.Write(p) }
func (s *HotStoreForTest) Commit()                     { s.h.commit() }
func (s *HotStoreForTest) Close()                      { s.h.close() }
func (s *HotStoreForTest) CanHotLogin() bool           { return s.h.canHotLogin() }

// MergeDumpForTest is workaround (b) alone.
func MergeDumpForTest(dump, prev []byte) ([]byte, error) { return mergeDump(dump, prev) }

// FixCookiesForTest is workaround (a) alone.
func FixCookiesForTest(doc []byte) ([]byte, error) {
	d, err := parseDoc(doc)
	if err != nil {
		return nil, err
	}
	return withSubdomainCookies(d)
}

// SetMinGapForTest changes the spacing of hot-login file writes.
func (s *HotStoreForTest) SetMinGapForTest(d time.Duration) { s.h.minGap = d }
