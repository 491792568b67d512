package docstore

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"dudaobot/rules"
)

// ErrArchiveTooLarge means a .docx/.xlsx/.ofd package lists more entries, or
// a larger central directory, than any real document has. archive/zip reads
// the whole directory into memory (a crafted 1.1 M-entry .docx cost about
// 140 MB of heap), so the limits are checked first, from the raw bytes.
var ErrArchiveTooLarge = rules.ErrArchiveTooLarge

// Limits of a document package's central directory. A long report with
// images has a few hundred entries and a directory of tens of KB.
const (
	MaxZipEntries        = 10000
	maxZipDirectoryBytes = 4 << 20
)

var (
	sigEOCD    = []byte("PK\x05\x06")
	sigEOCD64L = []byte("PK\x06\x07")
	sigEOCD64  = []byte("PK\x06\x06")
	sigCDH     = []byte("PK\x01\x02")
)

// checkZipDirectory reads the end-of-central-directory record (and its
// zip64 form) and walks the central directory's headers without keeping
// them, from where archive/zip would start reading them; more than
// MaxZipEntries headers or a directory over maxZipDirectoryBytes is
// ErrArchiveTooLarge. It reads at most 64 KB of tail and the directory
// itself (bounded), whatever the archive claims. A file with no
// end-of-directory record is left to archive/zip to refuse.
func checkZipDirectory(r io.ReaderAt, size int64) error {
	tailLen := min(size, 22+65535)
	tail := make([]byte, tailLen)
	if _, err := r.ReadAt(tail, size-tailLen); err != nil && err != io.EOF {
		return fmt.Errorf("docstore: put: read back: %w", err)
	}
	i := bytes.LastIndex(tail, sigEOCD)
	if i < 0 || len(tail)-i < 22 {
		return nil
	}
	eocd := tail[i:]
	dirEnd := size - tailLen + int64(i)
	entries := uint64(binary.LittleEndian.Uint16(eocd[10:]))
	dirSize := uint64(binary.LittleEndian.Uint32(eocd[12:]))
	dirOff := uint64(binary.LittleEndian.Uint32(eocd[16:]))
	if entries == 0xffff || dirSize == 0xffffffff || dirOff == 0xffffffff {
		loc := make([]byte, 20)
		if dirEnd >= 20 {
			if _, err := r.ReadAt(loc, dirEnd-20); err == nil && bytes.HasPrefix(loc, sigEOCD64L) {
				recOff := int64(binary.LittleEndian.Uint64(loc[8:]))
				rec := make([]byte, 56)
				if recOff >= 0 && recOff < dirEnd {
					if _, err := r.ReadAt(rec, recOff); err == nil && bytes.HasPrefix(rec, sigEOCD64) {
						entries = binary.LittleEndian.Uint64(rec[32:])
						dirSize = binary.LittleEndian.Uint64(rec[40:])
						dirOff = binary.LittleEndian.Uint64(rec[48:])
						dirEnd = recOff
					}
				}
			}
		}
	}
	if entries > MaxZipEntries {
		return fmt.Errorf("%w: %d entries (at most %d)", ErrArchiveTooLarge, entries, MaxZipEntries)
	}
	if dirSize > maxZipDirectoryBytes {
		return fmt.Errorf("%w: central directory of %d bytes", ErrArchiveTooLarge, dirSize)
	}
	// archive/zip starts at dirOff, or at dirEnd-dirSize when the archive
	// has a prefix; the entry count it checks is only the low 16 bits, so
	// the headers themselves are counted.
	starts := []int64{int64(dirOff)}
	if s := dirEnd - int64(dirSize); s != int64(dirOff) {
		starts = append(starts, s)
	}
	for _, start := range starts {
		if start < 0 || start >= size || dirOff > uint64(size) {
			continue
		}
		n, err := countHeaders(r, start, size)
		if err != nil {
			return err
		}
		if n > MaxZipEntries {
			return fmt.Errorf("%w: more than %d entries", ErrArchiveTooLarge, MaxZipEntries)
		}
	}
	return nil
}

// countHeaders walks central-directory headers from start, as archive/zip
// reads them (until one does not parse), reading at most the directory
// limit; headers that go on past the limit are ErrArchiveTooLarge.
func countHeaders(r io.ReaderAt, start, size int64) (int, error) {
	buf := make([]byte, min(size-start, maxZipDirectoryBytes+46))
	n, err := r.ReadAt(buf, start)
	if err != nil && err != io.EOF {
		return 0, fmt.Errorf("docstore: put: read back: %w", err)
	}
	buf = buf[:n]
	count, p := 0, 0
	for p+46 <= len(buf) && bytes.Equal(buf[p:p+4], sigCDH) {
		count++
		if count > MaxZipEntries {
			return count, nil
		}
		nameLen := int(binary.LittleEndian.Uint16(buf[p+28:]))
		extraLen := int(binary.LittleEndian.Uint16(buf[p+30:]))
		commentLen := int(binary.LittleEndian.Uint16(buf[p+32:]))
		p += 46 + nameLen + extraLen + commentLen
	}
	if p > maxZipDirectoryBytes {
		return count, fmt.Errorf("%w: central directory over %d bytes", ErrArchiveTooLarge, maxZipDirectoryBytes)
	}
	if p+46 > len(buf) && p < len(buf) && len(buf) > maxZipDirectoryBytes && bytes.HasPrefix(buf[p:], sigCDH) {
		return count, fmt.Errorf("%w: central directory over %d bytes", ErrArchiveTooLarge, maxZipDirectoryBytes)
	}
	return count, nil
}
