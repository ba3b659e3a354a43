// Command feedbench is feedmill's whole-system benchmark harness (`make
// bench`). It runs the in-process `go test -bench` figures and the
// whole-process ones (a real `feedmill` binary against loopback upstream
// feed servers it starts itself, nginx and wrk), and prints one table of
// figures against their targets, also written to docs/BENCHMARKS.md.
// `feedbench soak` runs a daemon under a steady load for minutes and
// judges whether its memory stays flat (soak.go).
//
// Nothing imports it; it is not part of feedmill.
package main

import (
	"fmt"
	"os"
)

func main() {
	var err error
	switch {
	case len(os.Args) > 1 && os.Args[1] == "upstream":
		err = runUpstream(os.Args[2:])
	case len(os.Args) > 1 && os.Args[1] == "soak":
		err = runSoak(os.Args[2:]) // soak.go
	default:
		err = runHarness(os.Args[1:])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "feedbench:", err)
		os.Exit(1)
	}
}
