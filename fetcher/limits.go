package fetcher

import "github.com/feedmill/feedmill/fetcher/normalize"

// The defaults of Options.MaxItems and Options.MaxItemBytes (see
// normalize.Limits).
const (
	DefaultMaxItems     = normalize.DefaultMaxItems
	DefaultMaxItemBytes = normalize.DefaultMaxItemBytes
)
