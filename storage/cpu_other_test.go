//go:build !unix

package storage

import "time"

// processCPU is 0 here: no getrusage.
func processCPU() time.Duration { return 0 }
