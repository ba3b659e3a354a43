package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/feedmill/feedmill/storage/postgres/pgtest"
	"github.com/jackc/pgx/v5"
)

// The postgres step: feedmill on PostgreSQL (a throwaway cluster from
// pgtest) beside bbolt on the same corpus in the same run.
const (
	// pgTimeout and pgHostLease are the replicas' fetch.timeout and
	// cluster.host_lease (at least 2 × (timeout + 5 s)): short, so that
	// shards move to a replica that joins or from one that leaves within
	// a heartbeat (a third of the lease) rather than minutes.
	pgTimeout   = 10 * time.Second
	pgHostLease = 30 * time.Second
	maxReplicas = 3
	// pgShards is storage/postgres's count of host shards, all leased
	// when the replicas are balanced.
	pgShards = 256
)

// pgPass is one measured pass: feedmill's summary and the CPU time the
// feedmill daemons and the PostgreSQL server (0 on bbolt) used meanwhile.
type pgPass struct {
	summary  passSummary
	mill, pg time.Duration
}

func (p pgPass) itemsPerSec() float64 {
	return float64(p.summary.Added) / p.summary.Duration.Seconds()
}

// cpuPerItem is the CPU per new item in µs: feedmill's, postgres's, all.
func (p pgPass) cpuPerItem() (mill, pg, all float64) {
	n := float64(max(p.summary.Added, 1))
	mill, pg = float64(p.mill.Microseconds())/n, float64(p.pg.Microseconds())/n
	return mill, pg, mill + pg
}

// pgFigures are the postgres step's figures; nil or empty = not measured.
type pgFigures struct {
	boltChanged, pgChanged     *pgPass
	boltUnchanged, pgUnchanged *pgPass
	coord                      [maxReplicas][]pgPass // rounds, by replica count - 1
	server                     string                // the server's version
	boltBody, pgBody           int
	bolt200, pg200             []wrkResult
	bolt304, pg304             []wrkResult
}

// pgRun is the postgres step's state: the server, the database the
// replicas share, their configs and the ones running.
type pgRun struct {
	h    *harness
	f    *pgFigures
	pm   int // the postmaster's pid
	dsn  string
	up   *upstream
	cli  millConfig // `feedmill fetch` with no daemon on its control socket
	reps [maxReplicas]millConfig
	live [maxReplicas]*daemon
}

// postgres runs the step: ingest and serving beside bbolt, the unchanged
// pass beside bbolt, then coordination rounds at 1, 2 and 3 replicas.
func (h *harness) postgres(ctx context.Context) error {
	defer pgtest.Stop()
	r := &pgRun{h: h, f: &pgFigures{}}
	h.res.postgres = r.f
	defer func() {
		r.stopReplicas()
		if r.up != nil {
			r.up.stop()
		}
	}()
	var err error
	if r.dsn, _, err = pgtest.CreateDB(); err != nil {
		return err
	}
	if r.pm, err = postmaster(); err != nil {
		return err
	}
	if r.f.server, err = serverVersion(ctx, r.dsn); err != nil {
		return err
	}
	if err := r.ingestAndServing(ctx); err != nil {
		return err
	}
	r.stopReplicas()
	if err := r.unchanged(ctx); err != nil {
		return err
	}
	return r.coordination(ctx)
}

// pgConfig writes a config for database dsn in a fresh scenario folder,
// with its own listen address and control socket.
func (h *harness) pgConfig(name, dsn string, sources []string) (millConfig, error) {
	m, err := h.scenarioDir(name)
	if err != nil {
		return m, err
	}
	m.DB, m.Socket, m.Sources = dsn, filepath.Join(m.Dir, "ctl.sock"), sources
	m.Timeout, m.HostLease = pgTimeout, pgHostLease
	m.BaseURL = "http://feedmill.bench" // one service: the same links from every replica
	return m, m.write()
}

// copyStore runs `feedmill store copy from to` into the database to,
// then VACUUM ANALYZE there, so that the autovacuum the bulk import
// calls for does not land in the pass measured next.
func (h *harness) copyStore(ctx context.Context, from, to string) error {
	t0 := time.Now()
	out, err := exec.CommandContext(ctx, h.bin, "store", "copy", from, to).CombinedOutput()
	if err != nil {
		return fmt.Errorf("feedmill store copy: %w\n%s", err, tail(string(out), 2000))
	}
	conn, err := pgx.Connect(ctx, to)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		return fmt.Errorf("vacuum after the copy: %w", err)
	}
	fmt.Fprintf(h.log, "%s(copy and VACUUM ANALYZE: %.1f s)\n", out, time.Since(t0).Seconds())
	return nil
}

// ingestAndServing fills a bbolt store, copies it into the database,
// then runs the changed pass on each (each through its own daemon), and
// serves the result from a second replica that ingested nothing, against
// the bbolt daemon.
func (r *pgRun) ingestAndServing(ctx context.Context) error {
	h := r.h
	up, bm, err := h.filledStore(ctx, "pg-bolt-changed", h.changedUpstream(23))
	if err != nil {
		return err
	}
	r.up = up
	if err := h.copyStore(ctx, bm.store(), r.dsn); err != nil {
		return err
	}
	if r.cli, err = h.pgConfig("pg-cli", r.dsn, up.urls()); err != nil {
		return err
	}
	for i := range r.reps {
		if r.reps[i], err = h.pgConfig(fmt.Sprintf("pg-replica-%d", i+1), r.dsn, up.urls()); err != nil {
			return err
		}
	}
	bolt, err := startServe(ctx, h.bin, bm)
	if err != nil {
		return err
	}
	defer bolt.stop()
	if err := r.setReplicas(ctx, 1, false); err != nil {
		return err
	}
	if err := up.next(); err != nil {
		return err
	}
	want := 20 * h.sz.ChangedSources
	if r.f.boltChanged, err = h.meteredPass(ctx, "bbolt changed", bm, []*daemon{bolt}, 0, want); err != nil {
		return err
	}
	if r.f.pgChanged, err = h.meteredPass(ctx, "postgres changed", r.reps[0], r.live[:1], r.pm, want); err != nil {
		return err
	}
	return r.serving(ctx, bolt)
}

// meteredPass runs `feedmill fetch --all` with config m, charging it the
// CPU time of daemons and of the server pm (0 = none), and checks that
// it added want items.
func (h *harness) meteredPass(ctx context.Context, name string, m millConfig, daemons []*daemon, pm, want int) (*pgPass, error) {
	mill0, pg0, err := cpuOf(daemons, pm)
	if err != nil {
		return nil, err
	}
	s, err := fetchAll(ctx, h.bin, m)
	if err != nil {
		return nil, fmt.Errorf("%s pass: %w", name, err)
	}
	mill1, pg1, err := cpuOf(daemons, pm)
	if err != nil {
		return nil, err
	}
	p := &pgPass{summary: s, mill: mill1 - mill0, pg: pg1 - pg0}
	fmt.Fprintf(h.log, "%s pass: %+v, feedmill CPU %v, postgres CPU %v\n", name, s, p.mill, p.pg)
	if want >= 0 && s.Added != want {
		return p, fmt.Errorf("%s pass added %d items, want %d", name, s.Added, want)
	}
	return p, nil
}

// serving starts replica 2, checks it serves replica 1's bytes, and runs
// wrk against it and against the bbolt daemon, alternating.
func (r *pgRun) serving(ctx context.Context, bolt *daemon) error {
	if err := r.setReplicas(ctx, 2, false); err != nil {
		return err
	}
	a, b := r.live[0].base+"/channels/all.rss", r.live[1].base+"/channels/all.rss"
	abody, ahdr, err := getBody(a)
	if err != nil {
		return err
	}
	body, hdr, err := getBody(b)
	if err != nil {
		return err
	}
	if string(body) != string(abody) || hdr.Get("ETag") != ahdr.Get("ETag") {
		return fmt.Errorf("replica 2 serves %d bytes, ETag %s; replica 1 %d bytes, ETag %s", len(body), hdr.Get("ETag"), len(abody), ahdr.Get("ETag"))
	}
	boltURL := bolt.base + "/channels/all.rss"
	bbody, bhdr, err := getBody(boltURL)
	if err != nil {
		return err
	}
	r.f.pgBody, r.f.boltBody = len(body), len(bbody)
	bd, rd := []*daemon{bolt}, r.live[1:2]
	return r.h.wrkRounds(ctx, r.h.sz.PgWrkRounds, r.h.sz.PgWrk, []wrkRun{
		{dst: &r.f.bolt200, url: boltURL, daemons: bd, pm: r.pm},
		{dst: &r.f.pg200, url: b, daemons: rd, pm: r.pm},
		{dst: &r.f.bolt304, url: boltURL, header: "If-None-Match: " + bhdr.Get("ETag"), daemons: bd, pm: r.pm},
		{dst: &r.f.pg304, url: b, header: "If-None-Match: " + hdr.Get("ETag"), daemons: rd, pm: r.pm},
	})
}

// unchanged fills a bbolt store of the unchanged corpus, runs the
// unchanged pass through a daemon on it, copies it into a new database
// and runs the pass through a daemon on that.
func (r *pgRun) unchanged(ctx context.Context) error {
	h := r.h
	up, bm, err := h.filledStore(ctx, "pg-bolt-unchanged", h.unchangedUpstream(24))
	if err != nil {
		return err
	}
	defer up.stop()
	pass := func(name string, m millConfig, pm int) (*pgPass, error) {
		d, err := startServe(ctx, h.bin, m)
		if err != nil {
			return nil, err
		}
		defer d.stop()
		p, err := h.meteredPass(ctx, name, m, []*daemon{d}, pm, -1)
		if err == nil && p.summary.NotModified != h.sz.UnchangedSources {
			err = fmt.Errorf("%s pass: %d of %d sources answered 304", name, p.summary.NotModified, h.sz.UnchangedSources)
		}
		return p, err
	}
	if r.f.boltUnchanged, err = pass("bbolt unchanged", bm, 0); err != nil {
		return err
	}
	dsn, _, err := pgtest.CreateDB()
	if err != nil {
		return err
	}
	if err := h.copyStore(ctx, bm.store(), dsn); err != nil {
		return err
	}
	pc, err := h.pgConfig("pg-unchanged", dsn, up.urls())
	if err != nil {
		return err
	}
	r.f.pgUnchanged, err = pass("postgres unchanged", pc, r.pm)
	return err
}

// coordination runs rounds of the changed pass handed to the cluster
// (`feedmill fetch --all` with no daemon on its socket) at 1, 2 and 3
// replicas, each pass on a new generation of the feeds. Every pass makes
// the store bigger and the next pass dearer, so the order is reversed
// every other round: over an even number of rounds each count has the
// same mean position.
func (r *pgRun) coordination(ctx context.Context) error {
	want := 20 * r.h.sz.ChangedSources
	for round := range r.h.sz.PgRounds {
		for k := range maxReplicas {
			n := k + 1
			if round%2 == 1 {
				n = maxReplicas - k
			}
			if err := r.setReplicas(ctx, n, true); err != nil {
				return err
			}
			if err := r.up.next(); err != nil {
				return err
			}
			p, err := r.h.meteredPass(ctx, fmt.Sprintf("cluster of %d", n), r.cli, r.running(), r.pm, want)
			if err != nil {
				return err
			}
			r.f.coord[n-1] = append(r.f.coord[n-1], *p)
		}
	}
	return nil
}

// running lists the replicas running now.
func (r *pgRun) running() []*daemon {
	var out []*daemon
	for _, d := range r.live {
		if d != nil {
			out = append(out, d)
		}
	}
	return out
}

// setReplicas makes replicas 1…n run and the others not; balanced
// waits until the running ones hold every host shard between them.
func (r *pgRun) setReplicas(ctx context.Context, n int, balanced bool) error {
	for i := range r.live {
		switch {
		case i >= n && r.live[i] != nil:
			r.live[i].stop()
			r.live[i] = nil
		case i < n && r.live[i] == nil:
			d, err := startServe(ctx, r.h.bin, r.reps[i])
			if err != nil {
				return fmt.Errorf("replica %d: %w", i+1, err)
			}
			r.live[i] = d
		}
	}
	if !balanced {
		return nil
	}
	return r.waitBalanced(ctx, n)
}

// waitBalanced waits until n replicas hold live leases on all host
// shards (they rebalance at their heartbeats, a third of the lease).
func (r *pgRun) waitBalanced(ctx context.Context, n int) error {
	conn, err := pgx.Connect(ctx, r.dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	t0 := time.Now()
	var owners, held int
	for time.Since(t0) < 3*pgHostLease {
		err := conn.QueryRow(ctx, `SELECT count(DISTINCT owner), count(*) FROM leases
			WHERE name LIKE 'shard/%' AND expires_at > now()`).Scan(&owners, &held)
		if err != nil {
			return fmt.Errorf("read shard leases: %w", err)
		}
		if owners == n && held == pgShards {
			fmt.Fprintf(r.h.log, "%d replica(s) hold the shards after %.1f s\n", n, time.Since(t0).Seconds())
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("%d replicas not balanced after %s: %d owners hold %d of %d shards", n, 3*pgHostLease, owners, held, pgShards)
}

// stopReplicas stops every running replica.
func (r *pgRun) stopReplicas() {
	for i, d := range r.live {
		if d != nil {
			d.stop()
			r.live[i] = nil
		}
	}
}

// serverVersion asks the server at dsn its version.
func serverVersion(ctx context.Context, dsn string) (string, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var v string
	err = conn.QueryRow(ctx, "SHOW server_version").Scan(&v)
	return v, err
}

// postmaster is the pid of the PostgreSQL server pgtest started: a child
// of this process named postgres.
func postmaster() (int, error) {
	kids, err := childrenOf(os.Getpid())
	if err != nil {
		return 0, err
	}
	for _, k := range kids {
		if k.comm == "postgres" {
			return k.pid, nil
		}
	}
	return 0, fmt.Errorf("no postgres child process found")
}

// childrenOf lists the processes whose parent is ppid.
func childrenOf(ppid int) ([]procStat, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var out []procStat
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readProcStat(pid); err == nil && st.ppid == ppid {
			out = append(out, st)
		}
	}
	return out, nil
}

// postgresCPU is the CPU time the server pm used so far: the
// postmaster's, its live children's (backends, background workers) and
// that of the children it reaped (backends of closed connections).
func postgresCPU(pm int) (time.Duration, error) {
	st, err := readProcStat(pm)
	if err != nil {
		return 0, fmt.Errorf("postgres server: %w", err)
	}
	total := st.cpu + st.childCPU
	kids, err := childrenOf(pm)
	for _, k := range kids {
		total += k.cpu + k.childCPU
	}
	return total, err
}

// cpuOf sums the daemons' CPU time, and the server pm's (0 = none).
func cpuOf(daemons []*daemon, pm int) (mill, pg time.Duration, err error) {
	for _, d := range daemons {
		c, err := d.cpu()
		if err != nil {
			return 0, 0, err
		}
		mill += c
	}
	if pm != 0 {
		pg, err = postgresCPU(pm)
	}
	return mill, pg, err
}

// postgresRows are the postgres step's rows.
func (h *harness) postgresRows() []row {
	if h.res.postgres == nil {
		return nil
	}
	f := h.res.postgres
	return []row{f.ingestRow(h.sz), f.coordRow(h.sz), f.unchangedRow(h.sz), f.servingRow(false, h.sz), f.servingRow(true, h.sz)}
}

// note says how the server ran, for the how column.
func (f *pgFigures) note() string {
	return "PostgreSQL " + f.server + " from pgtest (Debian's binaries, unix socket, fsync=off, synchronous_commit=off, shared_buffers=64MB: not durable, unlike bbolt's fsync per commit); "
}

func (f *pgFigures) ingestRow(sz sizes) row {
	fig := "PostgreSQL: changed pass vs bbolt"
	how := f.note() + fmt.Sprintf("%d sources × 20 new items (the changed corpus), one store filled by a pass on bbolt and copied into PostgreSQL (`feedmill store copy`, then VACUUM ANALYZE), then one pass each through its daemon's control socket; CPU = the daemon's utime+stime, plus on PostgreSQL the server's (postmaster and every backend, from /proc)", sz.ChangedSources)
	b, p := f.boltChanged, f.pgChanged
	if b == nil || p == nil {
		return missingRow(fig, how, "report", "not measured")
	}
	_, _, bc := b.cpuPerItem()
	pm, pp, pc := p.cpuPerItem()
	return row{fig, how, fmt.Sprintf("bbolt %.0f items/s, %.0f µs CPU/item — PostgreSQL %.0f items/s, %.0f µs CPU/item (feedmill %.0f + postgres %.0f): %.2f× the items/s, %.2f× the CPU per item",
		b.itemsPerSec(), bc, p.itemsPerSec(), pc, pm, pp, p.itemsPerSec()/b.itemsPerSec(), pc/bc), "report (same corpus, same run)", "—"}
}

func (f *pgFigures) coordRow(sz sizes) row {
	fig := "PostgreSQL: coordination, 1–3 replicas"
	how := f.note() + fmt.Sprintf("%d sources × 20 new items a round (a new feed generation), handed to the replicas by `feedmill fetch --all` with no daemon on its socket; 1, 2, 3 replicas (fetch.timeout 10s, cluster.host_lease 30s, started before and balanced over the host shards), order reversed every other round (1, 2, 3, 3, 2, 1: each pass finds a bigger store, and an even number of rounds gives each count the same mean position); CPU = every replica's plus the server's (the command's polling queries included); median of each count's rounds", sz.ChangedSources)
	target := "CPU per item at 3 replicas ≤ 1.15 × at 1"
	if len(f.coord[0]) == 0 || len(f.coord[maxReplicas-1]) == 0 {
		return missingRow(fig, how, target, "not measured")
	}
	var parts []string
	var cpu [maxReplicas]float64
	for k, rounds := range f.coord {
		var rate, all, pg []float64
		for _, p := range rounds {
			_, pgc, c := p.cpuPerItem()
			rate, all, pg = append(rate, p.itemsPerSec()), append(all, c), append(pg, pgc)
		}
		cpu[k] = median(all)
		parts = append(parts, fmt.Sprintf("%d: %.0f items/s, %.0f µs CPU/item (postgres %.0f)", k+1, median(rate), cpu[k], median(pg)))
	}
	ratio := cpu[maxReplicas-1] / cpu[0]
	return row{fig, how, fmt.Sprintf("%s; CPU per item at 3 = %.2f× at 1; %d round(s)", strings.Join(parts, "; "), ratio, len(f.coord[0])),
		target, verdict(ratio <= 1.15)}
}

func (f *pgFigures) unchangedRow(sz sizes) row {
	fig := "PostgreSQL: unchanged pass vs bbolt"
	how := f.note() + fmt.Sprintf("%d sources on %d hosts all answering 304, one store filled on bbolt and copied into PostgreSQL; `feedmill fetch --all` through each one's daemon, wall time from feedmill's summary, CPU = the daemon's plus (PostgreSQL) the server's", sz.UnchangedSources, sz.UnchangedHosts)
	target := "≤ 2 × the bbolt time"
	b, p := f.boltUnchanged, f.pgUnchanged
	if b == nil || p == nil {
		return missingRow(fig, how, target, "not measured")
	}
	perSrc := func(p *pgPass) float64 { return (p.mill + p.pg).Seconds() * 1000 / float64(max(p.summary.Sources, 1)) }
	ratio := p.summary.Duration.Seconds() / b.summary.Duration.Seconds()
	return row{fig, how, fmt.Sprintf("PostgreSQL %.2f s, %.3f ms CPU/source (postgres %.3f) vs bbolt %.2f s, %.3f ms CPU/source: %.2f× the time",
		p.summary.Duration.Seconds(), perSrc(p), p.pg.Seconds()*1000/float64(max(p.summary.Sources, 1)), b.summary.Duration.Seconds(), perSrc(b), ratio),
		target, verdict(ratio <= 2)}
}

func (f *pgFigures) servingRow(notModified bool, sz sizes) row {
	fig, pg, bolt, extra := "PostgreSQL: serving from a replica that did not ingest", f.pg200, f.bolt200, fmt.Sprintf(" (bodies %d and %d bytes)", f.pgBody, f.boltBody)
	how := fmt.Sprintf("after the changed pass (through replica 1), replica 2 of the same database, started then, serves /channels/all.rss (checked: replica 1's bytes and ETag); `wrk -t2 -c64 -d%s` against it vs the bbolt daemon of the same corpus; %d round(s) alternating, median of each", sz.PgWrk, sz.PgWrkRounds)
	if notModified {
		fig, pg, bolt, extra = "PostgreSQL: 304s from a replica that did not ingest", f.pg304, f.bolt304, ""
		how = "same, with `-H If-None-Match:` each daemon's own ETag"
	}
	target := "≥ 0.9 × bbolt"
	if len(pg) == 0 || len(bolt) == 0 {
		return missingRow(fig, how, target, "not measured")
	}
	text, r := servingVs("replica 2", pg, "bbolt", bolt, extra)
	return row{fig, how, text, target, verdict(r >= 0.9)}
}
