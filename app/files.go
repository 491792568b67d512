package app

import (
	"context"
	"io"

	"dudaobot/docstore"
	"dudaobot/handlers"
)

// HandlerFiles adapts the document store to the file interface the
// conversations declare (handlers.Files): handlers never imports docstore.
// The refusals need no mapping: docstore's errors are the rules values
// handlers tests with errors.Is.
type HandlerFiles struct{ Store *docstore.Store }

var _ handlers.Files = HandlerFiles{}

// Put stores r after docstore's checks.
func (f HandlerFiles) Put(ctx context.Context, r io.Reader, o handlers.PutOptions) (handlers.Blob, error) {
	b, err := f.Store.Put(ctx, r, putOptions(o))
	return handlers.Blob{Path: b.Path, SHA256: b.SHA256, Size: b.Size}, err
}

// PutBytes is Put for content in memory.
func (f HandlerFiles) PutBytes(ctx context.Context, p []byte, o handlers.PutOptions) (handlers.Blob, error) {
	b, err := f.Store.PutBytes(ctx, p, putOptions(o))
	return handlers.Blob{Path: b.Path, SHA256: b.SHA256, Size: b.Size}, err
}

// Name is the sanitised name and its extension.
func (HandlerFiles) Name(raw string) (name, ext string) {
	name = docstore.SanitizeName(raw)
	return name, docstore.ExtOf(name)
}

// OpenStored opens a stored file for reading (a filled template read back).
func (f HandlerFiles) OpenStored(path string) (io.ReadCloser, error) { return f.Store.Open(path) }

// Types are the accepted extensions.
func (HandlerFiles) Types() []string { return docstore.AllowedExts() }

// MaxArchiveEntries is docstore's limit on a package's entries.
func (HandlerFiles) MaxArchiveEntries() int { return docstore.MaxZipEntries }

func putOptions(o handlers.PutOptions) docstore.PutOptions {
	return docstore.PutOptions{Ext: o.Ext, MaxSize: o.MaxSize, Quota: o.Quota, QuotaLeft: o.QuotaLeft}
}
