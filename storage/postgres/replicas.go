package postgres

import (
	"context"
	"fmt"

	"github.com/feedmill/feedmill/storage"
)

// The abilities a caller finds by type assertion.
var (
	_ storage.Claimer       = (*Store)(nil)
	_ storage.RenderStamper = (*Store)(nil)
	_ storage.Exporter      = (*Store)(nil)
	_ storage.Importer      = (*Store)(nil)
)

// Replicas counts the processes whose heartbeat is younger than ShardTTL:
// those claiming sources now. It does not start this process's own
// heartbeat, so a command that only asks is not counted.
func (s *Store) Replicas(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM replicas WHERE seen_at > now() - $1::interval`, s.opts.ShardTTL).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("replicas in %s: %w", s.name, err)
	}
	return n, nil
}
