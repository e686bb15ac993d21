// Package bench is zbench: it reproduces the seed benchmark table (a file
// copied into a Unix socket with read/send, mmap/send, sendfile and
// splice) and extends it to TCP, file, pipe and socket-to-file copies, Go's
// io.Copy and zcopy.Copy.
//
// Every contender runs in a fresh process (zbench re-executes itself, the
// role travelling in an environment variable), the receiving side is one
// more process that reads, counts and checksums the bytes, and contenders
// are interleaved run by run so that a drift of the machine hits all of
// them alike. A run counts only if every byte arrived with the right
// checksum; otherwise its row says FAILED.
package bench
