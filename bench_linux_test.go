package zcopy_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/zcopy/zcopy"
)

// A benchPair builds a source and destination for a benchmark; next
// readies them for one more copy of size bytes and returns them.
type benchPair struct {
	name    string
	methods []zcopy.Method // methods worth forcing for this pair
	setup   func(b *testing.B, size int64) (next func() (io.Writer, io.Reader))
}

var benchSizes = []int64{1 << 10, 64 << 10, 1 << 20, 16 << 20}

func BenchmarkCopy(b *testing.B) {
	pairs := []benchPair{
		{"file-file", []zcopy.Method{zcopy.CopyFileRange, zcopy.Sendfile, zcopy.Mmap, zcopy.ReadWrite}, fileToFile(b.TempDir)},
		{"file-tmpfs", []zcopy.Method{zcopy.Sendfile, zcopy.Mmap, zcopy.ReadWrite}, fileToFile(func() string { return shmDir(b) })},
		{"file-unix", []zcopy.Method{zcopy.Sendfile, zcopy.Splice, zcopy.Mmap, zcopy.ReadWrite}, fileToConn("unix")},
		{"file-tcp", []zcopy.Method{zcopy.Sendfile, zcopy.Splice, zcopy.Mmap, zcopy.ReadWrite}, fileToConn("tcp")},
		{"file-pipe", []zcopy.Method{zcopy.Splice, zcopy.Sendfile, zcopy.ReadWrite}, fileToPipe},
		{"pipe-file", []zcopy.Method{zcopy.Splice, zcopy.ReadWrite}, pipeToFile},
		{"tcp-file", []zcopy.Method{zcopy.Splice, zcopy.ReadWrite}, connToFile},
	}
	for _, pair := range pairs {
		for _, size := range benchSizes {
			if testing.Short() && size > 1<<20 {
				continue
			}
			name := fmt.Sprintf("%s/%s", pair.name, sizeName(size))
			b.Run(name+"/io.Copy", func(b *testing.B) {
				next := pair.setup(b, size)
				run(b, size, func() (int64, error) { dst, src := next(); return io.Copy(dst, src) })
			})
			b.Run(name+"/zcopy", func(b *testing.B) {
				next := pair.setup(b, size)
				run(b, size, func() (int64, error) { dst, src := next(); return zcopy.Copy(dst, src) })
			})
			for _, m := range pair.methods {
				b.Run(name+"/only="+m.String(), func(b *testing.B) {
					next := pair.setup(b, size)
					run(b, size, func() (int64, error) {
						dst, src := next()
						return zcopy.CopyContext(context.Background(), dst, src, zcopy.Only(m))
					})
				})
			}
		}
	}
}

func run(b *testing.B, size int64, copy func() (int64, error)) {
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		n, err := copy()
		if err != nil || n != size {
			b.Fatalf("copied %d of %d bytes: %v", n, size, err)
		}
	}
}

func sizeName(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

func shmDir(b *testing.B) string {
	dir, err := os.MkdirTemp("/dev/shm", "zcopy-bench")
	if err != nil {
		b.Skipf("no tmpfs at /dev/shm: %v", err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func benchFile(b *testing.B, dir string, size int64) *os.File {
	f, err := os.Create(filepath.Join(dir, "src"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i*7 + i>>8)
	}
	for left := size; left > 0; left -= int64(len(buf)) {
		if _, err := f.Write(buf[:min(left, int64(len(buf)))]); err != nil {
			b.Fatal(err)
		}
	}
	return f
}

func rewind(b *testing.B, fs ...*os.File) {
	for _, f := range fs {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			b.Fatal(err)
		}
	}
}

func fileToFile(dir func() string) func(b *testing.B, size int64) func() (io.Writer, io.Reader) {
	return func(b *testing.B, size int64) func() (io.Writer, io.Reader) {
		src := benchFile(b, b.TempDir(), size)
		dst, err := os.Create(filepath.Join(dir(), "dst"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { dst.Close() })
		return func() (io.Writer, io.Reader) { rewind(b, src, dst); return dst, src }
	}
}

// drain reads and discards r until it fails, in the background.
func drain(b *testing.B, r io.ReadCloser) {
	done := make(chan struct{})
	go func() { defer close(done); io.Copy(io.Discard, r) }()
	b.Cleanup(func() { r.Close(); <-done })
}

func connPair(b *testing.B, network string) (client, server net.Conn) {
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = filepath.Join(b.TempDir(), "sock")
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() { c, _ := ln.Accept(); accepted <- c }()
	client, err = net.Dial(network, ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		b.Fatal("accept failed")
	}
	return client, server
}

func fileToConn(network string) func(b *testing.B, size int64) func() (io.Writer, io.Reader) {
	return func(b *testing.B, size int64) func() (io.Writer, io.Reader) {
		src := benchFile(b, b.TempDir(), size)
		client, server := connPair(b, network)
		b.Cleanup(func() { client.Close() })
		drain(b, server)
		return func() (io.Writer, io.Reader) { rewind(b, src); return client, src }
	}
}

func fileToPipe(b *testing.B, size int64) func() (io.Writer, io.Reader) {
	src := benchFile(b, b.TempDir(), size)
	pr, pw, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pw.Close() })
	drain(b, pr)
	return func() (io.Writer, io.Reader) { rewind(b, src); return pw, src }
}

// feed writes an endless stream into w in the background.
func feed(b *testing.B, w io.WriteCloser) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1<<20)
		for {
			if _, err := w.Write(buf); err != nil {
				return
			}
		}
	}()
	b.Cleanup(func() { w.Close(); <-done })
}

func pipeToFile(b *testing.B, size int64) func() (io.Writer, io.Reader) {
	pr, pw, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	dst, err := os.Create(filepath.Join(b.TempDir(), "dst"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { dst.Close() })
	feed(b, pw)
	b.Cleanup(func() { pr.Close() })
	return func() (io.Writer, io.Reader) { rewind(b, dst); return dst, io.LimitReader(pr, size) }
}

func connToFile(b *testing.B, size int64) func() (io.Writer, io.Reader) {
	client, server := connPair(b, "tcp")
	dst, err := os.Create(filepath.Join(b.TempDir(), "dst"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { dst.Close() })
	feed(b, client)
	b.Cleanup(func() { server.Close() })
	return func() (io.Writer, io.Reader) { rewind(b, dst); return dst, io.LimitReader(server, size) }
}
