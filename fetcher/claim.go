package fetcher

import (
	"context"
	"time"

	"github.com/feedmill/feedmill/storage"
)

// claimPoll bounds how long runClaimed sleeps without asking the store
// what is due: other processes share the schedule, and a source they add
// or hand over is only announced by Wake when it is this process's doing.
const claimPoll = 5 * time.Second

// runClaimed is Run on a store shared by several processes: instead of a
// schedule of its own, it asks the store for due sources (leased to this
// process until they are recorded or the lease runs out) whenever workers
// are free, and sleeps until the store's next due time, a Wake, or
// claimPoll. Each claimed source is fetched once by the worker that got it;
// its Fetch carries the lease, so a fetch that outlived its lease is
// dropped by the store rather than recorded twice.
//
// With Options.Cron set, it claims only from one tick of the expression
// until nothing is due, then waits for the next tick.
func (f *Fetcher) runClaimed(ctx context.Context, c storage.Claimer, ticks <-chan struct{}) error {
	jobs, done, stop := startWorkers(f.opts.Workers, func(s storage.Source) { f.fetchOne(ctx, s) })
	defer stop()

	inflight := 0
	open := ticks == nil // claiming allowed now
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		wait := claimPoll
		if open && inflight < f.opts.Workers {
			claimed, err := c.ClaimDue(ctx, f.opts.Workers-inflight)
			if err != nil && ctx.Err() == nil {
				f.log.Warn("run: claim due sources", "err", err)
			}
			for _, s := range interleaveHosts(claimed) {
				select {
				case jobs <- s:
					inflight++
				case <-ctx.Done():
					return nil
				}
			}
			if len(claimed) == 0 && ticks != nil && inflight == 0 {
				open = false
			}
			if len(claimed) > 0 {
				wait = 0
			} else if open {
				wait = f.nextClaimWait(ctx, c)
			}
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-done:
			inflight--
		case <-c.Wake():
		case <-f.resched:
		case <-ticks:
			open = true
		case <-timer.C:
		}
		timer.Stop()
	}
}

// nextClaimWait is how long to sleep until the store's next due time,
// at most claimPoll.
func (f *Fetcher) nextClaimWait(ctx context.Context, c storage.Claimer) time.Duration {
	next, err := c.NextDue(ctx)
	if err != nil || next.IsZero() {
		return claimPoll
	}
	return min(max(next.Sub(f.opts.Now()), 10*time.Millisecond), claimPoll)
}

// cronTicks sends on the returned channel at each tick of expr until ctx
// ends.
func (f *Fetcher) cronTicks(ctx context.Context, expr string) <-chan struct{} {
	out := make(chan struct{}, 1)
	go func() {
		timer := time.NewTimer(0)
		defer timer.Stop()
		for {
			now := f.opts.Now()
			tick, err := nextCronTick(expr, now)
			if err != nil {
				return
			}
			timer.Reset(tick.Sub(now))
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
			select {
			case out <- struct{}{}:
			default:
			}
		}
	}()
	return out
}
