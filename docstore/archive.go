package docstore

import "io"

// CheckArchive applies the limits Put enforces on a .docx/.xlsx/.ofd
// package (entry count, central-directory size) before anything else opens
// it with archive/zip, which reads the whole directory into memory.
func CheckArchive(r io.ReaderAt, size int64) error {
	return checkZipDirectory(r, size)
}
