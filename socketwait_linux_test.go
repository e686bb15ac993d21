package zcopy_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/zcopy/zcopy/internal/testutil"
)

// TestSocketWaitEnds pins how a copy from a file into a socket whose reader
// stopped reading ends, for io.Copy and every zcopy mode: at the caller's
// write deadline with os.ErrDeadlineExceeded, or at a Close from another
// goroutine with net.ErrClosed, soon after either; and n is exactly what
// the peer can read. zcopy waits for room in the socket where io.Copy
// would (sendfile's EAGAIN), so these are its waits.
func TestSocketWaitEnds(t *testing.T) {
	data := testutil.Data(32<<20, 81) // more than a loopback TCP socket buffers
	name := newSrcFile(t, t.TempDir(), data, 0).Name()
	pairs := []struct {
		name string
		conn func(t *testing.T) (a, b net.Conn)
	}{
		{"unix", func(t *testing.T) (net.Conn, net.Conn) { a, b := unixPair(t); return a, b }},
		{"tcp", func(t *testing.T) (net.Conn, net.Conn) { a, b := tcpPair(t); return a, b }},
	}
	for _, pair := range pairs {
		for _, how := range []string{"deadline", "close"} {
			for _, c := range copiers {
				t.Run(pair.name+"/"+how+"/"+c.name, func(t *testing.T) {
					a, b := pair.conn(t)
					src, err := os.Open(name)
					if err != nil {
						t.Fatal(err)
					}
					defer src.Close()
					want := os.ErrDeadlineExceeded
					if how == "deadline" {
						a.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
					} else {
						want = net.ErrClosed
						a.SetWriteDeadline(time.Time{})
						time.AfterFunc(100*time.Millisecond, func() { a.Close() })
					}
					start := time.Now()
					n, err := c.fn(a, src)
					if took := time.Since(start); !errors.Is(err, want) || took > 10*time.Second {
						t.Fatalf("after %v: n = %d, err = %v; want %v", took, n, err, want)
					}
					if n <= 0 || n >= int64(len(data)) {
						t.Fatalf("n = %d, want some but not all of %d bytes", n, len(data))
					}
					got := make([]byte, n)
					b.SetReadDeadline(time.Now().Add(10 * time.Second))
					if _, err := io.ReadFull(b, got); err != nil {
						t.Fatalf("peer read %d bytes: %v", n, err)
					}
					if !bytes.Equal(got, data[:n]) {
						t.Fatal("the peer read other bytes than the source's first n")
					}
					b.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
					if k, err := b.Read(make([]byte, 1)); k != 0 {
						t.Errorf("the peer can read more than n bytes (%v)", err)
					}
				})
			}
		}
	}
}
