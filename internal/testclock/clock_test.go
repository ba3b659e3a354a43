package testclock

import (
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := New(t0)
	now := c.Now
	if !now().Equal(t0) {
		t.Fatalf("Now = %v, want %v", now(), t0)
	}
	c.Add(90 * time.Second)
	if want := t0.Add(90 * time.Second); !now().Equal(want) {
		t.Fatalf("after Add: Now = %v, want %v", now(), want)
	}
}
