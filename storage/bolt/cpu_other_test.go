//go:build !unix

package bolt

import "time"

// processCPU is 0 here: no getrusage.
func processCPU() time.Duration { return 0 }
