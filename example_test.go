package zcopy_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/zcopy/zcopy"
)

// Copy is io.Copy: any reader, any writer.
func ExampleCopy() {
	var dst bytes.Buffer
	n, err := zcopy.Copy(&dst, strings.NewReader("hello, zcopy\n"))
	fmt.Println(n, err, dst.String())
	// Output: 13 <nil> hello, zcopy
}

// CopyN copies a fixed number of bytes and reports io.EOF if the source is
// shorter.
func ExampleCopyN() {
	var dst bytes.Buffer
	n, err := zcopy.CopyN(&dst, strings.NewReader("0123456789"), 4)
	fmt.Println(n, err, dst.String())
	n, err = zcopy.CopyN(&dst, strings.NewReader("ab"), 4)
	fmt.Println(n, err)
	// Output:
	// 4 <nil> 0123
	// 2 EOF
}

// A report says which method moved the bytes and why the others did not,
// like cp --debug.
func ExampleWithReport() {
	dir, _ := os.MkdirTemp("", "zcopy-example")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "src"), bytes.Repeat([]byte("z"), 1<<20), 0o644)
	src, _ := os.Open(filepath.Join(dir, "src"))
	defer src.Close()
	dst, _ := os.Create(filepath.Join(dir, "dst"))
	defer dst.Close()

	var r zcopy.Report
	n, err := zcopy.CopyContext(context.Background(), dst, src, zcopy.WithReport(&r))
	fmt.Println(n, err, r.Written == n, r.Method != 0)
	// Output: 1048576 <nil> true true
}

// Progress is reported between fast-path chunks without leaving the fast
// path.
func ExampleWithProgress() {
	var last int64
	var dst bytes.Buffer
	n, _ := zcopy.CopyContext(context.Background(), &dst, strings.NewReader(strings.Repeat("x", 5000)),
		zcopy.WithProgress(func(written int64) { last = written }))
	fmt.Println(n, last)
	// Output: 5000 5000
}

// Only forces one method, for benchmarks and tests; ErrNoMethod says it
// could not serve the pair.
func ExampleOnly() {
	var dst bytes.Buffer
	_, err := zcopy.CopyContext(context.Background(), &dst, strings.NewReader("x"), zcopy.Only(zcopy.Sendfile))
	fmt.Println(err)
	// Output: zcopy: no allowed method can copy this pair
}

// A report prints on one line: the endpoints, then each method considered
// with its outcome.
func ExampleReport_String() {
	r := zcopy.Report{
		Source:      "regular file (ext4)",
		Destination: "regular file (tmpfs)",
		Method:      zcopy.Sendfile,
		Written:     1 << 20,
		Attempts: []zcopy.Attempt{
			{Method: zcopy.CopyFileRange, Reason: "EXDEV"},
			{Method: zcopy.Sendfile, Used: true, Written: 1 << 20, Calls: 2},
		},
	}
	fmt.Println(r.String())
	// Output: regular file (ext4) -> regular file (tmpfs): copy_file_range: no (EXDEV), sendfile: yes (1048576 bytes, 2 calls)
}
