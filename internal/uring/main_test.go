package uring

import (
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/zcopy/zcopy/internal/testutil"
)

func TestMain(m *testing.M) {
	if spec := os.Getenv(recvEnv); spec != "" {
		receiver(spec) // a benchmark's socket reader
		return
	}
	os.Exit(testutil.RunWithLeakCheck(m, nil))
}

// recvEnv makes the test binary a receiver: it listens, drains every
// connection and answers with the byte count and CRC-32C.
const recvEnv = "ZCOPY_URING_BENCH_RECV"

func receiver(spec string) {
	network, addr, _ := strings.Cut(spec, ":")
	if network == "tcp" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	for {
		c, err := ln.Accept()
		if err != nil {
			os.Exit(0)
		}
		h := crc32.New(crc32.MakeTable(crc32.Castagnoli))
		n, _ := io.CopyBuffer(h, c, make([]byte, 256<<10))
		fmt.Fprintf(c, "%d %08x\n", n, h.Sum32())
		c.Close()
	}
}
