package postgres

import (
	"context"
	"fmt"
	"time"
)

// StampRender returns the Last-Modified of the rendition key whose body
// has etag: the time stored with etag when it is the one stored, else
// now (never earlier than the time stored before), which is stored with
// it. Every replica asking about the same bytes gets the same time.
func (s *Store) StampRender(ctx context.Context, key, etag string, now time.Time) (time.Time, error) {
	var at int64
	err := s.pool.QueryRow(ctx, `INSERT INTO renders AS r (key, etag, at_ns) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET etag = excluded.etag,
			at_ns = CASE WHEN r.etag = excluded.etag THEN r.at_ns ELSE GREATEST(r.at_ns, excluded.at_ns) END
		RETURNING at_ns`, key, etag, pubNanos(now)).Scan(&at)
	if err != nil {
		return time.Time{}, fmt.Errorf("stamp render %s in %s: %w", key, s.name, err)
	}
	return time.Unix(0, at).In(now.Location()), nil
}
