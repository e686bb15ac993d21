//go:build wasip1

// Command edit is the wasip1 guest of memfs/wasi's Example: it edits the
// tree mounted at /: appends to notes.txt, writes report/summary.txt and
// removes old.log.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "edit:", err)
		os.Exit(1)
	}
}

func run() error {
	notes, err := os.ReadFile("/notes.txt")
	if err != nil {
		return err
	}
	f, err := os.OpenFile("/notes.txt", os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString("seen by the guest\n"); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Mkdir("/report", 0o755); err != nil {
		return err
	}
	summary := fmt.Sprintf("notes.txt had %d bytes\n", len(notes))
	if err := os.WriteFile("/report/summary.txt", []byte(summary), 0o644); err != nil {
		return err
	}
	return os.Remove("/old.log")
}
