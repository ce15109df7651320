// Package loggen writes large synthetic kubelet logs for benchmarks: mostly the everyday lines
// a kubelet prints at -v=2..4 (shapes taken from a real v1.37.2 kubelet), with the start-up
// lines of many pods sprinkled in, some of them with slow fsGroup walks.
package loggen

import (
	"bufio"
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

// Config sets what Write produces.
type Config struct {
	Size  int64     // bytes to write (the last line may overshoot)
	Pods  int       // distinct pods cycling through start-ups
	Seed  uint64    // random seed; the output is a pure function of the config
	Start time.Time // time of the first line (its year is not written: klog has none)
	// InterestingEvery is how many noise lines come between two start-up lines (default 60).
	InterestingEvery int
}

// Stats counts what Write wrote.
type Stats struct {
	Bytes, Lines int64
	// Ownership counts lines containing "Setting volume ownership" (warnings and progress).
	Ownership int64
	// Interesting counts start-up lines (those the kubelog reader should recognise).
	Interesting int64
	PodStarts   int64
	WaitTimeout int64
}

type gen struct {
	cfg   Config
	rnd   *rand.Rand
	w     *bufio.Writer
	buf   []byte
	now   time.Time
	stats Stats
	pods  []pod
}

type pod struct {
	ns, name, uid, pv string
	step              int
	slow              bool
	files             int64
}

// Write writes cfg.Size bytes of kubelet log to w.
func Write(w io.Writer, cfg Config) (Stats, error) {
	if cfg.Pods <= 0 {
		cfg.Pods = 200
	}
	if cfg.InterestingEvery <= 0 {
		cfg.InterestingEvery = 60
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2026, 4, 12, 7, 0, 0, 0, time.UTC)
	}
	g := &gen{cfg: cfg, rnd: rand.New(rand.NewPCG(cfg.Seed, 0x6b75)),
		w: bufio.NewWriterSize(w, 1<<20), now: cfg.Start}
	g.makePods()
	for g.stats.Bytes < cfg.Size {
		for i := 0; i < cfg.InterestingEvery && g.stats.Bytes < cfg.Size; i++ {
			g.noise()
		}
		g.interesting()
	}
	return g.stats, g.w.Flush()
}

func (g *gen) makePods() {
	for i := range g.cfg.Pods {
		g.pods = append(g.pods, pod{
			ns:   []string{"default", "platform-ci", "media", "shop", "ml"}[i%5],
			name: "app-" + strconv.Itoa(i) + "-" + g.hex(5),
			uid:  g.uuid(),
			pv:   "pvc-" + g.uuid(),
			slow: i%4 == 0,
		})
	}
}

// line writes one klog line: header, then the message built by body.
func (g *gen) line(sev byte, file string, body func([]byte) []byte) {
	g.now = g.now.Add(time.Duration(200+g.rnd.IntN(1800)) * time.Microsecond)
	b := g.buf[:0]
	b = append(b, sev)
	b = appendInt(b, int(g.now.Month()), 2)
	b = appendInt(b, g.now.Day(), 2)
	b = append(b, ' ')
	b = appendInt(b, g.now.Hour(), 2)
	b = append(b, ':')
	b = appendInt(b, g.now.Minute(), 2)
	b = append(b, ':')
	b = appendInt(b, g.now.Second(), 2)
	b = append(b, '.')
	b = appendInt(b, g.now.Nanosecond()/1000, 6)
	b = append(b, "    4394 "...)
	b = append(b, file...)
	b = append(b, "] "...)
	b = body(b)
	b = append(b, '\n')
	g.buf = b
	n, _ := g.w.Write(b)
	g.stats.Bytes += int64(n)
	g.stats.Lines++
}

func appendInt(b []byte, v, width int) []byte {
	s := strconv.Itoa(v)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

func (g *gen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.rnd.IntN(16)]
	}
	return string(b)
}

func (g *gen) uuid() string {
	return g.hex(8) + "-" + g.hex(4) + "-" + g.hex(4) + "-" + g.hex(4) + "-" + g.hex(12)
}

func (g *gen) anyPod() *pod { return &g.pods[g.rnd.IntN(len(g.pods))] }
