package bolt

import (
	"testing"

	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/storagetest"
)

// TestConformance runs the storage conformance suite on bbolt stores,
// each a new file.
func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, opts storage.Options) storage.Store {
		return openTest(t, opts)
	})
}
