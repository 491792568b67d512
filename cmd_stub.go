package main

import (
	"context"
	"fmt"
	"io"
)

func cmdSandbox(ctx context.Context, args []string, w, e io.Writer) error {
	return fmt.Errorf("not yet")
}
