package handlers

import (
	"bufio"
	"bytes"
	"io"
)

// sniffImage tells a PNG from a JPEG by its first bytes, because an image
// WeChat sends has no trustworthy name. The returned reader still yields
// every byte of r.
func sniffImage(r io.Reader) (io.Reader, string) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(8)
	if bytes.HasPrefix(head, []byte("\x89PNG")) {
		return br, "png"
	}
	return br, "jpg"
}
