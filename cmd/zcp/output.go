package main

import "io"

// checkedWriter keeps the first error writing standard output, which cp
// reports once at exit ("write error: No space left on device", exit 1),
// as gnulib's close_stdout does.
type checkedWriter struct {
	w   io.Writer
	err error
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}
