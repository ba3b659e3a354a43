package postgres_test

import (
	"testing"

	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/postgres"
	"github.com/feedmill/feedmill/storage/storagetest"
)

// TestConformance runs the storage conformance suite on PostgreSQL
// stores, each in a new database.
func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, opts storage.Options) storage.Store {
		return openStore(t, postgres.Options{Options: opts})
	})
}
