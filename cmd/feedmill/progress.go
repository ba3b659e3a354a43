package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progressMin is the smallest pass that gets a progress bar: short passes
// end before a bar would tell anything.
const progressMin = 10

// progressBar draws one line on a terminal (stderr) while a pass runs:
//
//	[=========>          ] 4812/10000  12 failed  3.1s
//
// It redraws at most every progressEvery; clear removes it so that other
// lines can be printed, and the next update draws it again.
type progressBar struct {
	mu     sync.Mutex
	w      io.Writer
	total  int
	done   int
	failed int
	start  time.Time
	last   time.Time
	shown  bool
	now    func() time.Time
}

const (
	progressEvery = 100 * time.Millisecond
	progressWidth = 30
)

func newProgressBar(w io.Writer) *progressBar {
	return &progressBar{w: w, now: time.Now}
}

// begin sets the number of sources of the pass (0 or few: no bar).
func (p *progressBar) begin(total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total, p.start = total, p.now()
}

// step counts a finished source and redraws when due.
func (p *progressBar) step(failed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if failed {
		p.failed++
	}
	if p.total < progressMin {
		return
	}
	if now := p.now(); now.Sub(p.last) >= progressEvery || p.done == p.total {
		p.last = now
		p.draw()
	}
}

// clear erases the bar (before other output, and at the end).
func (p *progressBar) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.erase()
}

func (p *progressBar) erase() {
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}

func (p *progressBar) draw() {
	filled := 0
	if p.total > 0 {
		filled = min(p.done*progressWidth/p.total, progressWidth)
	}
	bar := strings.Repeat("=", filled)
	if filled < progressWidth {
		bar += ">" + strings.Repeat(" ", progressWidth-filled-1)
	}
	fmt.Fprintf(p.w, "\r\033[K[%s] %d/%d  %d failed  %s", bar, p.done, p.total, p.failed,
		p.now().Sub(p.start).Round(100*time.Millisecond))
	p.shown = true
}
