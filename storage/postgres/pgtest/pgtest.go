package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage/postgres"
	"github.com/jackc/pgx/v5"
)

// nobody is the unprivileged user and group the cluster runs as when the
// tests run as root (initdb refuses root).
const nobody = 65534

// template is the migrated database every test database is cloned from.
const template = "feedmill_tmpl"

// cluster is the test binary's server.
type cluster struct {
	dir  string // socket directory; data in dir/data
	cmd  *exec.Cmd
	done chan struct{} // closed when the server exited
}

var (
	startOnce sync.Once
	running   *cluster
	startErr  error
	cloneMu   sync.Mutex // CREATE DATABASE ... TEMPLATE one at a time
	dbSeq     atomic.Int64
)

// Main runs the tests, stops the cluster if one was started, and exits
// with the tests' code.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// NewDB returns the DSN (a postgres:// URL) of a new database with the
// schema migrated, dropped when t ends. It fails t when no cluster can run.
func NewDB(t testing.TB) string {
	t.Helper()
	return newDB(t, template)
}

// NewEmptyDB is NewDB without the schema (for migration tests).
func NewEmptyDB(t testing.TB) string {
	t.Helper()
	return newDB(t, "template0")
}

func newDB(t testing.TB, from string) string {
	t.Helper()
	dsn, drop, err := createDB(from)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return dsn
}

// CreateDB starts the cluster if needed and creates a new database from
// the migrated template. drop removes it (it must have no connections
// left); Stop removes everything anyway.
func CreateDB() (dsn string, drop func() error, err error) {
	return createDB(template)
}

// createDB creates a database from the template from.
func createDB(from string) (dsn string, drop func() error, err error) {
	startOnce.Do(func() { running, startErr = start() })
	if startErr != nil {
		return "", nil, startErr
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), dbSeq.Add(1))
	cloneMu.Lock()
	err = running.exec(fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, from))
	cloneMu.Unlock()
	if err != nil {
		return "", nil, fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	drop = func() error {
		return running.exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name))
	}
	return running.dsn(name), drop, nil
}

// Stop stops the cluster (when one runs) and removes its files.
func Stop() {
	if running == nil {
		return
	}
	running.stop()
}

// dsn is the URL of database name on the cluster's socket.
func (c *cluster) dsn(name string) string {
	return "postgres://feedmill@/" + name + "?host=" + url.QueryEscape(c.dir) + "&sslmode=disable"
}

// exec runs one statement in the postgres database.
func (c *cluster) exec(sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.dsn("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// binDir is the newest Debian PostgreSQL server's bin directory.
func binDir() (string, error) {
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(found) == 0 {
		return "", errors.New("pgtest: no PostgreSQL server (/usr/lib/postgresql/*/bin/initdb): run `make deps` to install Debian's postgresql")
	}
	sort.Slice(found, func(i, j int) bool { return versionOf(found[i]) < versionOf(found[j]) })
	return filepath.Dir(found[len(found)-1]), nil
}

// versionOf is the major version in a /usr/lib/postgresql/N/bin path.
func versionOf(p string) int {
	n := 0
	fmt.Sscanf(filepath.Base(filepath.Dir(filepath.Dir(p))), "%d", &n)
	return n
}

// start initializes and starts a cluster, and migrates the template.
func start() (*cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "feedmill-pg-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	c := &cluster{dir: dir, done: make(chan struct{})}
	if err := c.init(bin); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := c.serve(bin); err != nil {
		c.stop()
		return nil, err
	}
	if err := c.makeTemplate(); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// asNobody makes cmd run as nobody when this process is root.
func asNobody(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGQUIT}
	if os.Geteuid() == 0 {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: nobody, Gid: nobody}
	}
}

// init runs initdb into dir/data.
func (c *cluster) init(bin string) error {
	if os.Geteuid() == 0 {
		if err := os.Chown(c.dir, nobody, nobody); err != nil {
			return fmt.Errorf("pgtest: %w", err)
		}
	}
	cmd := exec.Command(filepath.Join(bin, "initdb"), "-D", filepath.Join(c.dir, "data"),
		"-U", "feedmill", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	cmd.Dir = c.dir
	asNobody(cmd)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: initdb: %w\n%s", err, out)
	}
	return nil
}

// serve starts postgres as a child that gets SIGQUIT (immediate shutdown)
// when the test binary dies, and waits for its socket.
func (c *cluster) serve(bin string) error {
	log, err := os.Create(filepath.Join(c.dir, "log"))
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", filepath.Join(c.dir, "data"), "-p", "5432",
		"-k", c.dir, "-c", "listen_addresses=", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=200", "-c", "shared_buffers=64MB")
	cmd.Dir = c.dir
	cmd.Stdout, cmd.Stderr = log, log
	asNobody(cmd)
	c.cmd = cmd
	started := make(chan error, 1)
	// Pdeathsig fires when the thread that started the child exits: start
	// it from a locked thread that outlives it.
	go func() {
		runtime.LockOSThread()
		err := cmd.Start()
		started <- err
		if err == nil {
			cmd.Wait()
		}
		log.Close()
		close(c.done)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("pgtest: start postgres: %w", err)
	}
	return c.waitReady()
}

// waitReady waits until the server answers, or fails with its log.
func (c *cluster) waitReady() error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := c.exec("SELECT 1")
		if err == nil {
			return nil
		}
		select {
		case <-c.done:
			return fmt.Errorf("pgtest: postgres exited: %s", c.log())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pgtest: postgres did not answer in 30s: %v\n%s", err, c.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (c *cluster) log() string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "log"))
	return string(b)
}

// makeTemplate creates and migrates the template database.
func (c *cluster) makeTemplate() error {
	if err := c.exec(`CREATE DATABASE ` + template); err != nil {
		return fmt.Errorf("pgtest: create template: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := postgres.Migrate(ctx, c.dsn(template)); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return nil
}

// stop shuts the server down fast (SIGINT), kills it if it lingers, and
// removes the cluster's files.
func (c *cluster) stop() {
	if c.cmd != nil && c.cmd.Process != nil {
		c.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			c.cmd.Process.Kill()
			<-c.done
		}
	}
	os.RemoveAll(c.dir)
}
