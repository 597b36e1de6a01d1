//go:build !linux

package main

import (
	"context"
	"errors"
	"io"
	"os"
)

// isTerminal reports false: echo-free prompts are only implemented on Linux.
func isTerminal(f *os.File) bool { return false }

func readHidden(ctx context.Context, f *os.File, w io.Writer, prompt string) (string, error) {
	return "", errors.New("password prompt not supported on this system: use --password-stdin")
}
