// Command feedbench is feedmill's whole-system benchmark harness (`make
// bench`). It runs the in-process `go test -bench` figures and the
// whole-process ones (a real `feedmill` binary against loopback upstream
// feed servers it starts itself, nginx and wrk), and prints one table of
// figures against their targets, also written to docs/BENCHMARKS.md.
//
// Nothing imports it; it is not part of feedmill.
package main

import (
	"fmt"
	"os"
)

func main() {
	var err error
	if len(os.Args) > 1 && os.Args[1] == "upstream" {
		err = runUpstream(os.Args[2:])
	} else {
		err = runHarness(os.Args[1:])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "feedbench:", err)
		os.Exit(1)
	}
}
