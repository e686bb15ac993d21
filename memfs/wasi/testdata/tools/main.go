//go:build wasip1

// Command tools is a wasip1 guest for the tests and benchmarks of
// memfs/wasi.
//
//	tools fill FILE       writes FILE until the filesystem refuses, halving the
//	                      write size down to one byte, and prints the bytes
//	                      written and the last error
//	tools read FILE       reads FILE in 4 KiB reads and prints the bytes read
//	                      and the error that stopped it
//	tools list DIR        lists DIR one entry per fd_readdir buffer refill while
//	                      the host changes it (see the test), printing names
//	tools create DIR N    creates N files of 4 KiB in DIR (create, write, close)
//	tools readall DIR N   opens, reads and closes the N files of create
//	tools cat FILE        reads FILE to its end in 1 MiB reads, prints the size
//	tools stat FILE       stats FILE, prints its size
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
)

func errStr(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return "errno " + errno.Error()
	}
	if err == nil {
		return "ok"
	}
	return err.Error()
}

func main() {
	if len(os.Args) < 3 {
		fmt.Println("usage: tools fill|read|list|create|readall|cat|stat PATH [N]")
		os.Exit(2)
	}
	die := func(err error) {
		fmt.Println(errStr(err))
		os.Exit(1)
	}
	switch os.Args[1] {
	case "create", "readall":
		var n int
		fmt.Sscan(os.Args[3], &n)
		buf := make([]byte, 4096)
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("%s/f%05d", os.Args[2], i)
			if os.Args[1] == "create" {
				f, err := os.Create(name)
				if err != nil {
					die(err)
				}
				if _, err := f.Write(buf); err != nil {
					die(err)
				}
				if err := f.Close(); err != nil {
					die(err)
				}
				continue
			}
			f, err := os.Open(name)
			if err != nil {
				die(err)
			}
			if _, err := io.ReadFull(f, buf); err != nil {
				die(err)
			}
			if err := f.Close(); err != nil {
				die(err)
			}
		}
		fmt.Println(n)
	case "cat":
		f, err := os.Open(os.Args[2])
		if err != nil {
			die(err)
		}
		buf := make([]byte, 1<<20)
		var total int64
		for {
			n, err := f.Read(buf)
			total += int64(n)
			if err == io.EOF {
				break
			}
			if err != nil {
				die(err)
			}
		}
		f.Close()
		fmt.Println(total)
	case "stat":
		fi, err := os.Stat(os.Args[2])
		if err != nil {
			die(err)
		}
		fmt.Println(fi.Size())
	case "fill":
		f, err := os.Create(os.Args[2])
		if err != nil {
			fmt.Println("create:", errStr(err))
			os.Exit(1)
		}
		var total int64
		var last error
		buf := make([]byte, 1<<16)
		for i := range buf {
			buf[i] = byte(i*7 + 1)
		}
		for size := len(buf); size > 0; {
			n, err := f.Write(buf[:size])
			total += int64(n)
			if err != nil {
				last = err
				size /= 2
			}
		}
		fmt.Printf("wrote %d: %s\n", total, errStr(last))
		fmt.Println("close:", errStr(f.Close()))
	case "read":
		f, err := os.Open(os.Args[2])
		if err != nil {
			fmt.Println("open:", errStr(err))
			os.Exit(1)
		}
		var total int64
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			total += int64(n)
			if err == io.EOF {
				fmt.Printf("read %d: EOF\n", total)
				break
			}
			if err != nil {
				fmt.Printf("read %d: %s\n", total, errStr(err))
				break
			}
		}
		fmt.Println("close:", errStr(f.Close()))
	case "list":
		d, err := os.Open(os.Args[2])
		if err != nil {
			fmt.Println("open:", errStr(err))
			os.Exit(1)
		}
		first, err := d.Readdirnames(1)
		if err != nil {
			fmt.Println("readdir:", errStr(err))
			os.Exit(1)
		}
		// Tell the host the listing has begun, and wait for its
		// changes.
		if err := os.WriteFile("/started", nil, 0o644); err != nil {
			fmt.Println("started:", errStr(err))
			os.Exit(1)
		}
		for {
			if _, err := os.Stat("/changed"); err == nil {
				break
			}
			time.Sleep(time.Millisecond)
		}
		for _, n := range first {
			fmt.Println(n)
		}
		for {
			names, err := d.Readdirnames(1)
			if err == io.EOF {
				break
			}
			if err != nil {
				fmt.Println("readdir:", errStr(err))
				os.Exit(1)
			}
			for _, n := range names {
				fmt.Println(n)
			}
		}
		d.Close()
	}
}
