package copytree_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/zcopy/zcopy"
	"github.com/zcopy/zcopy/copytree"
	"github.com/zcopy/zcopy/internal/testutil"
)

var benchTree = flag.String("copytree.tree", "", "tree to copy in BenchmarkCopyTree (default: a generated 2,000 x 4 KiB tree)")

// BenchmarkCopyTree copies a tree on tmpfs with -a semantics, with one
// worker and with the CPU count. SetBytes makes MB/s comparable.
func BenchmarkCopyTree(b *testing.B) {
	dir := testutil.ShmDir(b)
	src := *benchTree
	if src == "" {
		src = filepath.Join(dir, "src")
		for i := 0; i < 2000; i++ {
			p := filepath.Join(src, string(rune('a'+i%20)), string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('0'+i/676)))
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, testutil.Data(4096, uint64(i)), 0o644)
		}
	}
	var size int64
	filepath.Walk(src, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			size += fi.Size()
		}
		return nil
	})
	for _, jobs := range []int{1, runtime.NumCPU()} {
		b.Run("jobs="+string(rune('0'+jobs)), func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				dst := filepath.Join(dir, "dst")
				if _, err := copytree.Copy(context.Background(), src, dst, copytree.Options{Preserve: copytree.PreserveAll, Jobs: jobs, CopyOptions: benchCopyOpts()}); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				os.RemoveAll(dst)
				b.StartTimer()
			}
		})
	}
}

func benchCopyOpts() []zcopy.Option {
	if m, ok := zcopy.ParseMethod(os.Getenv("COPYTREE_BENCH_METHOD")); ok {
		return []zcopy.Option{zcopy.Only(m)}
	}
	return nil
}
