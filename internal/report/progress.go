package report

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Progress draws a one-line progress bar with rate and ETA on a terminal. It is generic: the
// caller supplies a function returning the work done so far (safe to call from another
// goroutine, e.g. an atomic counter's Load) and, if known, the total.
type Progress struct {
	w     io.Writer
	label string
	total int64
	done  func() int64
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
}

// progressTick is how often the line is redrawn.
const progressTick = 200 * time.Millisecond

// StartProgress starts drawing on w, which should be stderr. When w is not a terminal it
// draws nothing (logs and pipes stay clean). total <= 0 means unknown: rate only, no ETA.
// Call Stop when the work ends.
func StartProgress(w io.Writer, label string, total int64, done func() int64) *Progress {
	p := &Progress{w: w, label: label, total: total, done: done, start: time.Now()}
	if !IsTerminal(w) {
		return p
	}
	p.stop = make(chan struct{})
	p.wg.Go(p.loop)
	return p
}

func (p *Progress) loop() {
	t := time.NewTicker(progressTick)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			fmt.Fprint(p.w, "\r\033[K")
			return
		case <-t.C:
			fmt.Fprint(p.w, "\r\033[K"+p.Line(p.done(), time.Since(p.start)))
		}
	}
}

// Stop erases the line and stops drawing. It is safe to call on a silent Progress.
func (p *Progress) Stop() {
	if p.stop == nil {
		return
	}
	close(p.stop)
	p.wg.Wait()
	p.stop = nil
}

// Line formats the progress line for n units done after elapsed.
func (p *Progress) Line(n int64, elapsed time.Duration) string {
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(n) / s
	}
	var b strings.Builder
	b.WriteString(p.label)
	if p.total > 0 {
		frac := min(float64(n)/float64(p.total), 1)
		const width = 24
		filled := int(frac * width)
		fmt.Fprintf(&b, " [%s%s] %3.0f%% %d/%d", strings.Repeat("#", filled),
			strings.Repeat("-", width-filled), frac*100, n, p.total)
	} else {
		fmt.Fprintf(&b, " %d", n)
	}
	fmt.Fprintf(&b, "  %s/s  %s", humanCount(rate), elapsed.Round(time.Second))
	if p.total > n && rate > 0 {
		eta := time.Duration(float64(p.total-n) / rate * float64(time.Second))
		fmt.Fprintf(&b, "  ETA %s", eta.Round(time.Second))
	}
	return b.String()
}

func humanCount(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.1fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}
