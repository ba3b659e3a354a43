package postgres_test

import (
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/postgres"
	"github.com/feedmill/feedmill/storage/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// openStore opens a store on a fresh database, closed when t ends.
func openStore(t testing.TB, opts postgres.Options) *postgres.Store {
	t.Helper()
	return openDSN(t, pgtest.NewDB(t), opts)
}

// openDSN opens a store on dsn, closed when t ends.
func openDSN(t testing.TB, dsn string, opts postgres.Options) *postgres.Store {
	t.Helper()
	s, err := postgres.OpenWith(dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// item is a test item with a GUID and a body.
func item(guid, title string) storage.Item {
	return storage.Item{GUID: guid, Title: title, Content: "<p>" + title + "</p>", Published: t0}
}
