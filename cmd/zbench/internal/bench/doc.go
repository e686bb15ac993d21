// Package bench is zbench: it measures the wall time and CPU time of one
// copy for zcopy.Copy, Go's io.Copy and raw system calls. It reproduces the
// table of the article "Rust io::copy with Linux Zero-Copy API" (a file
// copied into a Unix socket with read/send, mmap/send, sendfile and splice)
// and extends it to TCP, file, pipe and socket-to-file copies.
//
// Every contender runs in a fresh process (zbench re-executes itself, the
// role travelling in an environment variable), the receiving side is one
// more process that reads, counts and checksums the bytes, and contenders
// are interleaved run by run so that a drift of the machine hits all of
// them alike. A run counts only if every byte arrived with the right
// checksum; otherwise its row says FAILED.
package bench
