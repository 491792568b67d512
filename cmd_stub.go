package main

import (
	"context"
	"fmt"
	"io"
)

func cmdCodes(ctx context.Context, args []string, w io.Writer) error  { return fmt.Errorf("not yet") }
func cmdRun(ctx context.Context, args []string, w, e io.Writer) error { return fmt.Errorf("not yet") }
func cmdSandbox(ctx context.Context, args []string, w, e io.Writer) error {
	return fmt.Errorf("not yet")
}
func cmdWxsim(ctx context.Context, args []string, w, e io.Writer) error { return fmt.Errorf("not yet") }
func cmdContacts(ctx context.Context, args []string, w, e io.Writer) error {
	return fmt.Errorf("not yet")
}
