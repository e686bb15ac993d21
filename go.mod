module github.com/zcopy/zcopy

go 1.26.0

require (
	github.com/rogpeppe/go-internal v1.14.1
	golang.org/x/sys v0.49.0
)

require golang.org/x/tools v0.26.0 // indirect
