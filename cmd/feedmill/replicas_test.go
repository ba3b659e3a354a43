package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/bolt"
	"github.com/feedmill/feedmill/storage/postgres"
	"github.com/feedmill/feedmill/storage/postgres/pgtest"
)

// The multi-replica test's schedule.
const (
	replicaCount    = 3
	replicaSources  = 2000
	replicaHosts    = 500
	replicaEvery    = 20 * time.Second
	replicaPerHost  = 2
	replicaInterval = 200 * time.Millisecond
	replicaWorkers  = 16
	replicaTimeout  = 3 * time.Second
	// replicaHostLease is cluster.host_lease: a killed replica's hosts
	// go to the others within it and a third (their next renewal).
	replicaHostLease = 16 * time.Second
)

// replica is one `feedmill serve` child of the multi-replica test.
type replica struct {
	n    int
	bin  string // the feedmill binary
	cfg  string
	base string
	cmd  *exec.Cmd
	out  *bytes.Buffer
}

// agent is the User-Agent replica n sends.
func agent(n int) string { return fmt.Sprintf("feedmill-replica-%d", n) }

// writeReplicaConfig writes replica n's config: the shared database,
// sources and channels, its own listen address, control socket and
// User-Agent.
func writeReplicaConfig(t *testing.T, dir, db string, n, port int, up *replicaUpstream) string {
	var b strings.Builder
	fmt.Fprintf(&b, "db: %s\nlisten: 127.0.0.1:%d\nbase_url: http://feedmill.example\ncontrol_socket: %s\nlog_level: warn\n",
		db, port, filepath.Join(dir, fmt.Sprintf("r%d.sock", n)))
	fmt.Fprintf(&b, "fetch:\n  allow_private: true\n  every: %s\n  min_interval: %s\n  max_interval: %s\n  timeout: %s\n",
		replicaEvery, replicaEvery, replicaEvery, replicaTimeout)
	fmt.Fprintf(&b, "  workers: %d\n  per_host: %d\n  per_host_interval: %s\n  user_agent: %s\n",
		replicaWorkers, replicaPerHost, replicaInterval, agent(n))
	fmt.Fprintf(&b, "cluster:\n  host_lease: %s\n", replicaHostLease)
	b.WriteString("retention:\n  max_age: 0s\n  max_items_per_source: 1000\nsources:\n")
	for k, u := range up.urls {
		fmt.Fprintf(&b, "  - url: %s\n    tags: [t%d]\n", u, k%4)
	}
	b.WriteString("channels:\n  - name: all\n    duplicates: collapse\n    limit: 200\n  - name: t1\n    tags: [t1]\n    duplicates: keep\n    limit: 100\n")
	path := filepath.Join(dir, fmt.Sprintf("r%d.yaml", n))
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// start runs the replica and waits until it answers /healthz.
func (r *replica) start(t *testing.T, ctx context.Context) {
	t.Helper()
	r.cmd = exec.CommandContext(ctx, r.bin, "serve", "-c", r.cfg)
	r.cmd.Cancel = func() error { return r.cmd.Process.Signal(syscall.SIGQUIT) }
	r.cmd.WaitDelay = 5 * time.Second
	r.out = &bytes.Buffer{}
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, fmt.Sprintf("replica %d to answer", r.n), func() bool {
		resp, err := http.Get(r.base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// stop ends the replica with SIGTERM and checks it exited cleanly.
func (r *replica) stop(t *testing.T) {
	t.Helper()
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	if err := r.cmd.Wait(); err != nil {
		t.Errorf("replica %d: %v\n%s", r.n, err, r.out)
	}
}

// TestReplicas runs three `feedmill serve` replicas on one PostgreSQL
// database over 2,000 sources on 500 loopback hosts for several due
// periods, SIGKILLs one with requests in flight and restarts it, then
// checks at the upstream and in the store that the replicas were one
// polite service: every source fetched once per period, never more than
// per_host requests to a host at once from one replica, no item lost or
// stored twice, the same stories as one bbolt process on the same corpus,
// and every channel the same bytes, ETag and Last-Modified everywhere.
func TestReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("the multi-replica test runs three daemons for minutes")
	}
	dir := t.TempDir()
	bin := buildFeedmill(t, dir)
	dsn := pgtest.NewDB(t)
	up := startReplicaUpstream(t, replicaSources, replicaHosts)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	reps := make([]*replica, replicaCount)
	for i := range reps {
		port := freePort(t)
		reps[i] = &replica{n: i + 1, bin: bin, base: fmt.Sprintf("http://127.0.0.1:%d", port)}
		reps[i].cfg = writeReplicaConfig(t, dir, dsn, i+1, port, up)
	}
	begin := time.Now()
	for _, r := range reps {
		r.start(t, ctx)
	}
	// Four periods, a new item in every feed each; replica 2 is killed
	// in the third with requests in flight, and restarted 15 s later.
	var killedAt time.Time
	for period := range 4 {
		deadline := time.Now().Add(replicaEvery)
		if period == 2 {
			waitFor(t, replicaEvery, "replica 2 to have 5 requests in flight", func() bool {
				return up.inFlight(agent(2)) >= 5
			})
			killedAt = time.Now()
			_ = reps[1].cmd.Process.Kill()
			_ = reps[1].cmd.Wait()
			t.Logf("replica 2 killed at +%s", killedAt.Sub(begin).Round(time.Millisecond))
			time.Sleep(15 * time.Second)
			reps[1].start(t, ctx)
		}
		time.Sleep(time.Until(deadline))
		up.gen.Add(1)
	}
	// Frozen: two more periods and a lease for the last items to land.
	time.Sleep(2*replicaEvery + replicaHostLease)
	frozen := time.Now()

	checkChannelsAlike(t, reps)
	for _, r := range reps {
		r.stop(t)
	}
	log := up.requests()
	t.Logf("%d requests in %s", len(log), frozen.Sub(begin).Round(time.Second))
	checkSourcePeriods(t, log, killedAt)
	checkHostLimits(t, log)
	checkStoreMatchesBolt(t, dsn, up, dir)
}

// buildFeedmill builds the command, as shipped (no race detector, which
// the test binary may carry and which would make three daemons on two
// cores measure the detector rather than the schedule), into dir.
func buildFeedmill(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "feedmill")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// recordSlack is how long before the kill a response may have ended whose
// fetch replica 2 had not recorded yet (a busy machine delays the commit):
// the source comes due again after its claim lease, a repeat.
const recordSlack = 2 * time.Second

// checkSourcePeriods checks that every source was fetched once per due
// period: consecutive requests at least 0.9×every − 1 s apart, except one
// repeat of a source that replica 2 was fetching when it was killed (or
// had fetched and not yet recorded, recordSlack), and
// never more than 1.1×every plus a host lease and a third apart (a
// killed replica's hosts are free after the lease; the others take them
// at their next renewal, every third of it).
func checkSourcePeriods(t *testing.T, log []upstreamRequest, killedAt time.Time) {
	t.Helper()
	bySource := make(map[int][]upstreamRequest)
	for _, r := range log {
		bySource[r.Source] = append(bySource[r.Source], r)
	}
	if len(bySource) != replicaSources {
		t.Errorf("%d of %d sources fetched", len(bySource), replicaSources)
	}
	minGap := replicaEvery*9/10 - time.Second
	maxGap := replicaEvery*11/10 + replicaHostLease*4/3
	repeats, early, late := 0, 0, 0
	for src, rs := range bySource {
		sort.Slice(rs, func(i, j int) bool { return rs[i].Start.Before(rs[j].Start) })
		for i := 1; i < len(rs); i++ {
			gap := rs[i].Start.Sub(rs[i-1].Start)
			prev := rs[i-1]
			cut := prev.Agent == agent(2) && prev.Start.Before(killedAt) && (prev.End.IsZero() || prev.End.After(killedAt.Add(-recordSlack)))
			switch {
			case gap < minGap && cut:
				repeats++
			case gap < minGap:
				early++
				if early <= 5 {
					t.Errorf("source %d fetched %s after its last fetch (%s then %s)", src, gap.Round(time.Millisecond), prev.Agent, rs[i].Agent)
				}
			case gap > maxGap:
				late++
				if late <= 5 {
					t.Errorf("source %d waited %s between fetches (%s then %s)", src, gap.Round(time.Millisecond), prev.Agent, rs[i].Agent)
				}
			}
		}
	}
	t.Logf("sources: %d repeats of fetches cut by the kill, %d too early, %d too late", repeats, early, late)
	if repeats > replicaWorkers {
		t.Errorf("%d repeats, more than the %d fetches a replica has in flight", repeats, replicaWorkers)
	}
}

// checkHostLimits checks per_host and per_host_interval at each host: no
// more than per_host requests at once, and per_host+1 requests never
// within one interval, unless they came from two replicas (a host handed
// over from one replica to another); those handovers are counted.
func checkHostLimits(t *testing.T, log []upstreamRequest) {
	t.Helper()
	byHost := make(map[int][]upstreamRequest)
	for _, r := range log {
		byHost[r.Host] = append(byHost[r.Host], r)
	}
	// The upstream sees a request some milliseconds after the fetcher's
	// token bucket let it go (a new connection, a busy machine), so the
	// interval is checked with a quarter of it to spare.
	slack := replicaInterval / 4
	violations, handovers := 0, 0
	for host, rs := range byHost {
		sort.Slice(rs, func(i, j int) bool { return rs[i].Start.Before(rs[j].Start) })
		for i := replicaPerHost; i < len(rs); i++ {
			window := rs[i-replicaPerHost : i+1]
			over := rs[i].Start.Sub(window[0].Start) < replicaInterval-slack || overlapping(window)
			if !over {
				continue
			}
			if sameAgent(window) {
				violations++
				if violations <= 5 {
					t.Errorf("host %d: %d requests from %s within %s or at once", host, len(window), rs[i].Agent, rs[i].Start.Sub(window[0].Start))
				}
			} else {
				handovers++
			}
		}
	}
	t.Logf("hosts: %d per-host limit breaches across replicas (handovers), %d within one replica", handovers, violations)
	if handovers > 2*replicaHosts {
		t.Errorf("%d breaches across replicas: more than a handover's burst per host and kill", handovers)
	}
}

// overlapping reports whether all the requests were being answered at
// one moment.
func overlapping(rs []upstreamRequest) bool {
	last := rs[len(rs)-1].Start
	for _, r := range rs {
		if !r.End.IsZero() && !r.End.After(last) {
			return false
		}
	}
	return true
}

func sameAgent(rs []upstreamRequest) bool {
	for _, r := range rs[1:] {
		if r.Agent != rs[0].Agent {
			return false
		}
	}
	return true
}

// checkChannelsAlike fetches every channel in every format from every
// replica: the bytes, ETag and Last-Modified must be the same, and each
// replica's ETag must get a 304 from the next replica.
func checkChannelsAlike(t *testing.T, reps []*replica) {
	t.Helper()
	for _, path := range []string{"/channels/all.rss", "/channels/all.atom", "/channels/all.json", "/channels/t1.rss", "/channels/t1.atom", "/channels/t1.json"} {
		type answer struct{ body, etag, lastMod string }
		var got []answer
		for _, r := range reps {
			resp, err := http.Get(r.base + path)
			if err != nil {
				t.Fatalf("replica %d %s: %v", r.n, path, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("replica %d %s: %s", r.n, path, resp.Status)
			}
			got = append(got, answer{string(b), resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")})
		}
		for i := 1; i < len(got); i++ {
			if got[i] != got[0] {
				t.Errorf("%s: replica %d answers %d bytes, ETag %s, Last-Modified %s; replica 1 %d bytes, %s, %s",
					path, i+1, len(got[i].body), got[i].etag, got[i].lastMod, len(got[0].body), got[0].etag, got[0].lastMod)
			}
		}
		for i, r := range reps {
			next := reps[(i+1)%len(reps)]
			req, _ := http.NewRequest(http.MethodGet, next.base+path, nil)
			req.Header.Set("If-None-Match", got[i].etag)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotModified {
				t.Errorf("%s: replica %d's ETag gets %s from replica %d", path, r.n, resp.Status, next.n)
			}
		}
	}
}

// checkStoreMatchesBolt checks the shared store against the final feeds
// and against one bbolt process that fetched the frozen corpus once:
// every final item stored once, and the same stories (sets of links).
func checkStoreMatchesBolt(t *testing.T, dsn string, up *replicaUpstream, dir string) {
	t.Helper()
	pg, err := postgres.Open(dsn, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	shared := storiesOf(t, pg, up)

	var cfg strings.Builder
	fmt.Fprintf(&cfg, "db: %s\nlog_level: error\nfetch:\n  allow_private: true\n  workers: 16\n  per_host: 4\n  per_host_interval: 0s\n", filepath.Join(dir, "single.db"))
	cfg.WriteString("retention:\n  max_age: 0s\n  max_items_per_source: 1000\nsources:\n")
	for _, u := range up.urls {
		fmt.Fprintf(&cfg, "  - url: %s\n", u)
	}
	path := filepath.Join(dir, "single.yaml")
	if err := os.WriteFile(path, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "fetch", "-c", path, "--all"); code != 0 {
		t.Fatalf("single bbolt pass: exit %d\n%s", code, stderr)
	}
	st, err := bolt.Open(filepath.Join(dir, "single.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	single := storiesOf(t, st, up)
	if !slices.Equal(shared, single) {
		t.Errorf("stories differ: %d on PostgreSQL, %d on one bbolt process", len(shared), len(single))
		for _, s := range shared {
			if !slices.Contains(single, s) {
				t.Logf("only on PostgreSQL: %s", s)
				break
			}
		}
	}
	t.Logf("%d stories alike", len(shared))
}

// storiesOf closes st after reading every item: it checks that each item
// of the final feeds is stored exactly once, and returns the stories as
// sorted, comma-joined sets of links, sorted.
func storiesOf(t *testing.T, st storage.Store, up *replicaUpstream) []string {
	t.Helper()
	defer st.Close()
	links := make(map[string]int)
	groups := make(map[uint64][]string)
	err := st.Items(storage.Query{}, func(it storage.Item) bool {
		links[it.Link]++
		story := it.Story
		if story == 0 {
			story = it.ID
		}
		groups[story] = append(groups[story], it.Link)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	want := up.items()
	for k := range replicaSources {
		for i := range want {
			if n := links[itemLink(k, i)]; n != 1 {
				t.Errorf("%s stored %d times", itemLink(k, i), n)
			}
		}
	}
	if len(links) != replicaSources*want {
		t.Errorf("%d items stored, the feeds carry %d", len(links), replicaSources*want)
	}
	var out []string
	for _, g := range groups {
		sort.Strings(g)
		out = append(out, strings.Join(g, ","))
	}
	sort.Strings(out)
	return out
}
