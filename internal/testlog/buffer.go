package testlog

import (
	"log/slog"
	"strings"
	"sync"
)

// Buffer is an io.Writer safe for concurrent use that keeps all it is
// given. The zero value is ready to use.
type Buffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is all that was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Len is the number of bytes written so far, an offset for Lines.
func (b *Buffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

// Count is the number of times s occurs in what was written.
func (b *Buffer) Count(s string) int {
	return strings.Count(b.String(), s)
}

// Reset forgets what was written so far.
func (b *Buffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

// Lines are the non-empty lines from byte offset on that contain every
// one of subs.
func (b *Buffer) Lines(offset int, subs ...string) []string {
	s := b.String()
	var out []string
	for _, line := range strings.Split(s[min(offset, len(s)):], "\n") {
		keep := line != ""
		for _, sub := range subs {
			keep = keep && strings.Contains(line, sub)
		}
		if keep {
			out = append(out, line)
		}
	}
	return out
}

// Logger is a text logger of Info and above that writes into b.
func (b *Buffer) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
