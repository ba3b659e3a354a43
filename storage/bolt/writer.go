package bolt

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/feedmill/feedmill/storage"

	"go.etcd.io/bbolt"
)

// maxBatchWeight bounds how much one transaction takes from the queue:
// about this many items (a request weighs its item count, at least 1).
const maxBatchWeight = 1000

// request is one write: fn runs inside the writer's transaction. fn may run
// more than once (when another request of its batch fails, the batch is
// rolled back and run again without it), so it must set its results afresh
// on every run and change nothing outside the transaction; what must happen
// only once the write is durable goes in onCommit.
type request struct {
	ctx      context.Context
	fn       func(tx *bbolt.Tx) error
	onCommit func() // optional; run by the writer after the commit
	weight   int
	done     chan error // buffered: the writer never blocks on it
}

// writer is the one goroutine that owns every write to the store. It takes
// whatever is queued (up to maxBatchWeight), runs it in one db.Update and
// answers each request once that transaction committed. There is no timer:
// while one commit (and its fsync) runs, the next requests queue up, which
// is all the batching group commit needs.
type writer struct {
	db     *bbolt.DB
	health *commitHealth
	queue  chan *request

	mu       sync.RWMutex // guards closed against sends on a closed queue
	closed   bool
	readOnly bool          // the store is read-only: do answers ErrReadOnly
	done     chan struct{} // closed when run returns
}

func startWriter(db *bbolt.DB, health *commitHealth) *writer {
	w := &writer{
		db:     db,
		health: health,
		queue:  make(chan *request, 256),
		done:   make(chan struct{}),
	}
	go w.run()
	return w
}

// readOnlyWriter is the writer of a read-only store: it runs no goroutine
// and refuses every request.
func readOnlyWriter() *writer {
	w := &writer{queue: make(chan *request), done: make(chan struct{}), closed: true, readOnly: true}
	close(w.queue)
	close(w.done)
	return w
}

// do submits fn and waits until the transaction that ran it committed. If
// ctx ends first do returns ctx's error; the write may still commit later
// unless the writer had not started it yet.
func (w *writer) do(ctx context.Context, weight int, fn func(tx *bbolt.Tx) error, onCommit func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &request{ctx: ctx, fn: fn, onCommit: onCommit, weight: max(weight, 1), done: make(chan error, 1)}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		if w.readOnly {
			return storage.ErrReadOnly
		}
		return storage.ErrClosed
	}
	select {
	case w.queue <- r:
		w.mu.RUnlock()
	case <-ctx.Done():
		w.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close stops accepting requests, lets the writer commit everything queued
// and waits for it to finish.
func (w *writer) close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.queue)
	}
	w.mu.Unlock()
	<-w.done
}

func (w *writer) run() {
	defer close(w.done)
	for r := range w.queue {
		batch := []*request{r}
		weight := r.weight
	drain:
		for weight < maxBatchWeight {
			select {
			case r, ok := <-w.queue:
				if !ok {
					break drain
				}
				batch = append(batch, r)
				weight += r.weight
			default:
				break drain
			}
		}
		w.commit(batch)
	}
}

// errRequestFailed aborts a transaction because one of its requests failed.
var errRequestFailed = errors.New("request failed")

// commit runs batch in one transaction. A request whose fn fails gets its
// error; the transaction is rolled back and the rest of the batch runs again
// without it, so one bad request never costs the others their write.
func (w *writer) commit(batch []*request) {
	live := batch[:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.done <- err // its caller gave up before it started
			continue
		}
		live = append(live, r)
	}
	for len(live) > 0 {
		failed, failErr := -1, error(nil)
		err := w.db.Update(func(tx *bbolt.Tx) error {
			for i, r := range live {
				if err := runRequest(tx, r); err != nil {
					failed, failErr = i, err
					return errRequestFailed
				}
			}
			return nil
		})
		if failed >= 0 {
			live[failed].done <- failErr
			live = append(live[:failed:failed], live[failed+1:]...)
			continue
		}
		if err != nil {
			w.health.commitFailed(err, len(live))
			for _, r := range live {
				r.done <- fmt.Errorf("commit: %w", err)
			}
			return
		}
		w.health.commitSucceeded()
		for _, r := range live {
			if r.onCommit != nil {
				r.onCommit()
			}
			r.done <- nil
		}
		return
	}
}

// runRequest runs one request's fn, turning a panic into its error so that
// nothing a request meets in the file can take the writer down.
func runRequest(tx *bbolt.Tx, r *request) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store write panicked: %v", p)
		}
	}()
	return r.fn(tx)
}
