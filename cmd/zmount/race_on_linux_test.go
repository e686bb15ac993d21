//go:build race

package main

// buildFlags build the zmount binary of TestNonRoot as the test binary
// was built, so that the build reuses its compiled packages.
var buildFlags = []string{"-race"}
