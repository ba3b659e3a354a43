package fetcher

import (
	"container/heap"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

func TestDueHeap(t *testing.T) {
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var h dueHeap
	for i, m := range []int{30, 5, 20, 1, 10} {
		heap.Push(&h, dueEntry{due: base.Add(time.Duration(m) * time.Minute), id: uint64(i)})
	}
	var got []uint64
	for h.Len() > 0 {
		got = append(got, heap.Pop(&h).(dueEntry).id)
	}
	if fmt.Sprint(got) != "[3 1 4 2 0]" {
		t.Errorf("order %v", got)
	}
}

func TestRun(t *testing.T) {
	var mu sync.Mutex
	hits := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		fmt.Fprint(w, sampleRSS)
	}))
	defer srv.Close()
	st := openStore(t, nil)
	addSource(t, st, srv.URL+"/a")
	f := newTestFetcher(st, nil, nil)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()

	waitFor := func(path string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if s, err := st.SourceByURL(srv.URL + path); err == nil && !s.State.LastSuccess.IsZero() {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("%s never fetched", path)
	}
	waitFor("/a")
	addSource(t, st, srv.URL+"/b")
	f.Reschedule()
	waitFor("/b")
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
	mu.Lock()
	defer mu.Unlock()
	if hits["/a"] != 1 || hits["/b"] != 1 {
		t.Errorf("hits %v: each source once (next due is 30m away)", hits)
	}
}
