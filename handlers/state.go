package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"dudaobot/rules"
)

// pairWindow is how long a command and its file (or text) may be apart:
// 「反馈 财政局」 then the file, or the file then the command.
const pairWindow = 10 * time.Minute

// stored is a document safely in the file store.
type stored struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Name   string `json:"name"` // sanitized original name, for people
}

// pendingChoice is a file kept as supporting material until the official
// says which stage it is for (「请回复 1 … / 2 …」).
type pendingChoice struct {
	SubmissionID int64         `json:"submission_id"`
	Stages       []rules.Stage `json:"stages"`
	At           time.Time     `json:"at"` // when the file was received
}

// awaiting is a command waiting for its text or file.
type awaiting struct {
	Kind string    `json:"kind"` // "plan", "broadcast", "feedback", "evidence"
	Unit string    `json:"unit,omitempty"`
	Item string    `json:"item,omitempty"` // evidence: the item's id
	At   time.Time `json:"at"`
}

// heldFile is a file a director sent with no command yet.
type heldFile struct {
	File stored    `json:"file"`
	At   time.Time `json:"at"`
}

func choiceKey(remark string) string { return "handlers:choice:" + remark }
func awaitKey(remark string) string  { return "handlers:await:" + remark }
func heldKey(remark string) string   { return "handlers:held:" + remark }

// getState decodes a JSON state value; ok is false when there is none.
func (d *env) getState(ctx context.Context, key string, v any) (bool, error) {
	s, ok, err := d.store.GetState(ctx, key)
	if err != nil {
		return false, fmt.Errorf("handlers: get state %s: %w", key, err)
	}
	if !ok || s == "" {
		return false, nil
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return false, fmt.Errorf("handlers: decode state %s: %w", key, err)
	}
	return true, nil
}

func (d *env) putState(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("handlers: encode state %s: %w", key, err)
	}
	if err := d.store.PutState(ctx, key, string(b)); err != nil {
		return fmt.Errorf("handlers: put state %s: %w", key, err)
	}
	return nil
}

func (d *env) deleteState(ctx context.Context, key string) error {
	if err := d.store.DeleteState(ctx, key); err != nil && !isNotFound(err) {
		return fmt.Errorf("handlers: delete state %s: %w", key, err)
	}
	return nil
}

// takeAwaiting returns and clears the sender's pending command if it is
// still fresh at r.At.
func (d *env) takeAwaiting(ctx context.Context, r *Request) (awaiting, bool, error) {
	var a awaiting
	ok, err := d.getState(ctx, awaitKey(r.ID.Remark), &a)
	if err != nil || !ok {
		return a, false, err
	}
	if err := d.deleteState(ctx, awaitKey(r.ID.Remark)); err != nil {
		return a, false, err
	}
	if r.At.Sub(a.At) > pairWindow || r.At.Before(a.At.Add(-time.Minute)) {
		return a, false, nil
	}
	return a, true, nil
}

// takeHeld returns and clears the director's held file if it is still
// fresh at r.At.
func (d *env) takeHeld(ctx context.Context, r *Request) (heldFile, bool, error) {
	var h heldFile
	ok, err := d.getState(ctx, heldKey(r.ID.Remark), &h)
	if err != nil || !ok {
		return h, false, err
	}
	if r.At.Sub(h.At) > pairWindow {
		return h, false, d.deleteState(ctx, heldKey(r.ID.Remark))
	}
	return h, true, d.deleteState(ctx, heldKey(r.ID.Remark))
}
