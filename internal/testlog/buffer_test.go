package testlog

import (
	"strings"
	"sync"
	"testing"
)

func TestBuffer(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { b.Logger().Info("hello", "n", 1) })
	}
	wg.Wait()
	if n := b.Count("msg=hello"); n != 4 {
		t.Fatalf("Count = %d, want 4:\n%s", n, b.String())
	}
	off := b.Len()
	b.Logger().Warn("store full", "src", "a")
	b.Logger().Warn("store full", "src", "b")
	got := b.Lines(off, "store full", "src=b")
	if len(got) != 1 || !strings.Contains(got[0], "level=WARN") {
		t.Fatalf("Lines = %q, want the one line for src=b", got)
	}
	if got := b.Lines(off + 1000); len(got) != 0 {
		t.Fatalf("Lines past the end = %q", got)
	}
	b.Reset()
	if b.String() != "" || b.Len() != 0 {
		t.Fatalf("after Reset: %q", b.String())
	}
}
